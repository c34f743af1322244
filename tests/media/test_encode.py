from fractions import Fraction

import numpy as np
import pytest
from mediafactory import write_audio

from heygem.media.decode import load_audio
from heygem.media.encode import VideoWriter


def onset(samples: np.ndarray, rate: int) -> float:
    """Seconds to the first sample above half the peak."""
    return float(np.flatnonzero(np.abs(samples) > 0.5 * np.abs(samples).max())[0]) / rate


@pytest.mark.parametrize("rate", [16000, 48000])
def test_output_audio_is_not_delayed_against_the_video(tmp_path, rate):
    # AAC encoders prepend priming samples; unless the file says so, players start the sound
    # that much (~21 ms) late and every generated mouth leads its voice.
    click = np.zeros(rate, np.float32)
    click[rate // 2 : rate // 2 + rate // 100] = 0.8
    audio = write_audio(tmp_path / "click.wav", click, rate)
    with VideoWriter(tmp_path / "out.mp4", 64, 48, Fraction(25), audio) as writer:
        for _ in range(25):
            writer.write(np.zeros((48, 64, 3), np.uint8))
    decoded = load_audio(tmp_path / "out.mp4", 16000)
    assert onset(decoded, 16000) == pytest.approx(0.5, abs=0.002)
