"""The speaker curve: held-out scores rise with the number of training speakers where speakers share
a mapping, and the power law fitted to a known curve gives it back."""

import numpy as np
import pytest
from trainingscripts import load


def _clips(curve, speakers=6, frames=400, columns=12):
    """Speakers whose mouths follow a shared mapping of their sound plus one of their own."""
    rng = np.random.default_rng(0)
    shared = rng.normal(size=(columns, 2))
    kernel = np.exp(-0.5 * (np.arange(-9, 10) / 3.0) ** 2)
    clips = []
    for i in range(speakers):
        sound = np.stack([np.convolve(rng.normal(size=frames), kernel, "same") for _ in range(columns)], axis=1)
        mouth = sound @ (shared + 1.5 * rng.normal(size=shared.shape)) + rng.normal(size=(frames, 2))
        mouth = ((mouth - mouth.mean(axis=0)) / mouth.std(axis=0)).astype(np.float32)
        features = {curve.FEATURES: sound.astype(np.float32)}
        warped = {curve.FEATURES: [sound.astype(np.float32)] * len(curve.training.WARPS)}
        clips.append(curve.training.Clip(f"c{i}.mp4", f"spk{i}", "en", "train+validate", str(i), True, 25.0,
                                         mouth, features, warped, np.ones(frames, bool)))
    return clips


def test_held_out_scores_rise_with_the_number_of_training_speakers():
    curve = load("speaker_curve")
    clips = _clips(curve)
    pool = curve.training.Pool(clips, curve.FEATURES)
    train = sorted(c.speaker for c in clips)
    scores = curve.held_out_curve(pool, clips, train, (1, 2, 5, 6), draws=10, rng=np.random.default_rng(0))
    assert set(scores) == {1, 2, 5}  # nobody has six other speakers to learn from
    best = [max(scores[k].values()) for k in (1, 2, 5)]
    assert 0 < best[0] < best[1] < best[2] < 1


def test_the_power_law_is_recovered_from_its_own_curve():
    curve = load("speaker_curve")
    sizes = [2, 3, 4, 6, 8, 10, 11]
    a, b, c = curve.power_law(sizes, [0.5 - 0.3 * k ** -0.6 for k in sizes])
    assert (a, b, c) == pytest.approx((0.5, 0.3, 0.6), abs=1e-3)


def test_learning_from_part_of_each_clip_cuts_every_column_alike_and_keeps_a_second():
    curve = load("speaker_curve")
    clip = _clips(curve, speakers=1)[0]
    half, least = curve.first_part(clip, 0.5), curve.first_part(clip, 0.01)
    assert len(half.targets) == len(half.features[curve.FEATURES]) == len(half.warped[curve.FEATURES][0]) == 200
    assert np.array_equal(half.targets, clip.targets[:200]) and len(half.active) == 200
    assert len(least.targets) == 25  # one second at 25 fps
