import numpy as np

from heygem.motion.timeline import ping_pong


def test_forward_backward_forward_without_jump():
    order = ping_pong(4, 12)
    assert order.tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1]
    assert np.abs(np.diff(order)).max() == 1


def test_short_audio_cuts_and_single_frame_repeats():
    assert ping_pong(10, 3).tolist() == [0, 1, 2]
    assert ping_pong(1, 3).tolist() == [0, 0, 0]
