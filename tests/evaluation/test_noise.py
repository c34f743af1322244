"""Noisy speech for `heygem eval --noise`: white noise at the level asked for below the speech,
pauses not counted; only the driving audio gets it."""

from fractions import Fraction

import numpy as np
import pytest

from heygem.analysis.audio import SAMPLE_RATE
from heygem.cli import main
from heygem.evaluation.noise import with_noise
from heygem.evaluation.split import split_clip
from heygem.media.decode import load_audio

FPS = Fraction(25)


def _db(a: np.ndarray, b: np.ndarray) -> float:
    rms = lambda x: np.sqrt(np.mean(x.astype(np.float64) ** 2))  # noqa: E731
    return float(20 * np.log10(rms(a) / rms(b)))


def test_the_noise_sits_the_asked_level_below_the_speech_whatever_the_pauses(testmedia):
    speech = load_audio(testmedia / "audio" / "en_rates_5s.wav", SAMPLE_RATE)
    added = with_noise(speech, 20.0, FPS, seed=1) - speech
    assert 17.0 < _db(speech, added) < 20.0  # the speech's own pauses count in its plain RMS
    paused = np.concatenate([np.zeros(3 * SAMPLE_RATE, np.float32), speech])
    added_paused = with_noise(paused, 20.0, FPS, seed=1) - paused
    assert abs(_db(added_paused, added)) < 0.5  # 3 s of silence do not lower the level it is set against
    assert abs(_db(with_noise(speech, 30.0, FPS, seed=1) - speech, added) + 10.0) < 0.01
    assert np.array_equal(with_noise(speech, 20.0, FPS, seed=1) - speech, added)  # the same seed, the same noise
    assert not np.array_equal(with_noise(speech, 20.0, FPS, seed=2) - speech, added)


def test_only_the_driving_audio_of_a_split_is_noisy(testmedia, tmp_path):
    clip = testmedia / "video" / "man_map_en.mp4"
    clean = split_clip(clip, tmp_path / "clean")
    noisy = split_clip(clip, tmp_path / "noisy", noise_db=20.0)
    assert (noisy.first_truth_frame, noisy.truth_frames) == (clean.first_truth_frame, clean.truth_frames)
    template = [load_audio(s.template.with_suffix(".wav"), SAMPLE_RATE) for s in (clean, noisy)]
    assert np.array_equal(*template)
    drive, noisy_drive = (load_audio(s.audio, SAMPLE_RATE) for s in (clean, noisy))
    assert len(drive) == len(noisy_drive)
    assert 15.0 < _db(drive, noisy_drive - drive) < 20.5


def test_a_level_that_is_not_a_number_is_refused(capsys):
    for bad in ("nan", "loud"):
        with pytest.raises(SystemExit) as exit_:
            main(["eval", "--noise", bad])
        assert exit_.value.code == 2
        assert f"a level in dB, e.g. 20, not '{bad}'" in capsys.readouterr().err
