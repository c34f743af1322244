"""Gaussian smoothing without scipy: the same numbers as scipy's filter, and a job that never imports scipy."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from heygem.motion.smoothing import gaussian_smooth

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.mark.parametrize("length", [1, 2, 5, 9, 40, 1500])  # kernels longer than the series mirror again
@pytest.mark.parametrize("sigma", [0.4, 0.7, 1.0, 2.6, 6.0])
def test_the_same_numbers_as_scipys_filter(length, sigma):
    rng = np.random.default_rng(length)
    for values, axis in ((rng.normal(size=length).astype(np.float32), -1), (rng.normal(size=(length, 3)), 0),
                         (rng.normal(size=(2, length)).astype(np.float32), 1)):
        smoothed = gaussian_smooth(values, sigma, axis=axis)
        expected = gaussian_filter1d(values, sigma, axis=axis)
        assert smoothed.dtype == expected.dtype
        np.testing.assert_array_equal(smoothed, expected)


def test_the_audio_analysis_and_motion_plan_leave_scipy_unimported():
    """Importing scipy cost every job ~0.35 s before its work began."""
    script = """
import sys
from fractions import Fraction
import numpy as np
from heygem import pipeline
from heygem.analysis.audio import analyze_audio
from heygem.motion import general
from heygem.motion.plan import make_plan
from heygem.motion.timeline import ping_pong
speech = analyze_audio(np.sin(np.arange(48000) / 9.0).astype(np.float32) * 0.3, Fraction(25))
general.load().smooth(np.zeros((75, 3), np.float32), 25.0)
make_plan(None, speech, ping_pong(50, speech.frame_count), "learned")
print(sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "torch"}))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
