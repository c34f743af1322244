from fractions import Fraction
from types import SimpleNamespace

import numpy as np

from heygem.evaluation.run import closed_in_silence, frozen_in_speech
from heygem.motion.plan import LEAD_S, RELEASE_S
from heygem.types import AudioAnalysis


def _drive(speech: np.ndarray) -> AudioAnalysis:
    loudness = np.where(speech, -20.0, -70.0).astype(np.float32)
    n = len(speech)
    return AudioAnalysis(np.zeros(1600, np.float32), 16000, Fraction(25), n, loudness, speech, np.zeros((n, 40), np.float32))


def test_closed_in_silence_counts_real_pauses_only():
    lead, release = round(LEAD_S * 25), round(RELEASE_S * 25)
    speech = np.zeros(100, bool)
    speech[30:50] = True
    drive = _drive(speech)
    template = SimpleNamespace(mouth=np.linspace(0, 0.2, 100)[:, None])  # 25th percentile: 0.05
    opening = np.where(speech, 0.15, 0.0)
    opening[30 - lead : 30] = opening[50 : 50 + release] = 0.1  # parting before, relaxing after: not silence
    assert closed_in_silence(opening, drive, template) == 1.0
    before, after = 30 - lead, 100 - 50 - release
    opening[-5:] = 0.1  # open during the pause after it
    assert closed_in_silence(opening, drive, template) == (before + after - 5) / (before + after)
    speech[:] = True
    speech[:3] = False  # a pause too short to count (the lips need time to shut)
    assert np.isnan(closed_in_silence(opening, _drive(speech), template))


def test_frozen_in_speech_counts_a_still_mouth_while_the_voice_goes_on():
    speech = np.zeros(100, bool)
    speech[20:80] = True  # 2.4 s of speech at 25 fps
    drive = _drive(speech)
    template = SimpleNamespace(mouth=np.linspace(0, 0.2, 100)[:, None])  # range (5th-95th) 0.18
    moving = 0.1 + 0.05 * np.sin(np.arange(100) * 2 * np.pi * 4 / 25)  # four syllables a second
    assert frozen_in_speech(moving, drive, template) == 0.0
    held = moving.copy()
    held[40:60] = 0.1 + 0.005 * np.arange(20) / 20  # 0.8 s that barely move (under a tenth of the range)
    assert frozen_in_speech(held, drive, template) == 20 / 60
    held[45] = np.nan  # a frame without a face is never still: 5 frames before it are too short to count
    assert frozen_in_speech(held, drive, template) == 14 / 60
    assert frozen_in_speech(np.full(100, 0.1), drive, template) == 1.0
    assert np.isnan(frozen_in_speech(np.full(100, 0.1), _drive(np.zeros(100, bool)), template))  # no speech
