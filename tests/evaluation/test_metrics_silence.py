from fractions import Fraction
from types import SimpleNamespace

import numpy as np

from heygem.evaluation.run import closed_in_silence
from heygem.types import AudioAnalysis


def _drive(speech: np.ndarray) -> AudioAnalysis:
    loudness = np.where(speech, -20.0, -70.0).astype(np.float32)
    n = len(speech)
    return AudioAnalysis(np.zeros(1600, np.float32), 16000, Fraction(25), n, loudness, speech, np.zeros((n, 40), np.float32))


def test_closed_in_silence_counts_real_pauses_only():
    speech = np.zeros(60, bool)
    speech[20:40] = True
    drive = _drive(speech)
    template = SimpleNamespace(mouth=np.linspace(0, 0.2, 100)[:, None])  # 25th percentile: 0.05
    opening = np.where(speech, 0.15, 0.0)
    opening[17:20] = opening[40:43] = 0.1  # lips part before the phrase and relax after it: not silence
    assert closed_in_silence(opening, drive, template) == 1.0
    opening[45:50] = 0.1  # open during the pause after it
    assert closed_in_silence(opening, drive, template) == (17 + 17 - 5) / (17 + 17)
    speech[:] = True
    speech[:3] = False  # a pause too short to count (the lips need time to shut)
    assert np.isnan(closed_in_silence(opening, _drive(speech), template))
