"""The voice activity model runs in ONNX Runtime: speech found in real speech, torch never imported."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from fractions import Fraction
import numpy as np
from heygem.analysis.audio import SAMPLE_RATE, speech_probability
from heygem.media.decode import load_audio
speech = load_audio(sys.argv[1], SAMPLE_RATE)
samples = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), speech])  # 1 s of silence, then speech
p = speech_probability(samples, Fraction(25), int(len(samples) / SAMPLE_RATE * 25))
print(float(p[:20].max()), float(np.mean(p[30:] > 0.5)), "torch" in sys.modules)
"""


def test_speech_is_found_without_torch(testmedia):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(testmedia / "audio" / "en_rates_5s.wav")],
                          capture_output=True, text=True, check=True)
    silence_peak, speech_share, torch_imported = done.stdout.split()
    assert float(silence_peak) < 0.1 and float(speech_share) > 0.6
    assert torch_imported == "False"
