"""The template-offset probe: moves a clip's soundtrack by whole frames and reports the lag."""

import subprocess
import sys

import numpy as np
from trainingscripts import TRAINING, load

from heygem.analysis.audio import SAMPLE_RATE
from heygem.media.decode import load_soundtrack

SCRIPT = TRAINING / "template_offset.py"


def _probe():
    return load("template_offset")


def test_the_soundtrack_moves_by_whole_frames(testmedia, tmp_path):
    clip = testmedia / "video" / "man_map_en.mp4"  # 25 fps: 4 frames are 160 ms
    sound = load_soundtrack(clip, SAMPLE_RATE)
    step = round(0.16 * SAMPLE_RATE)
    for frames in (4, -4):
        moved = load_soundtrack(_probe().moved_soundtrack(clip, frames, tmp_path), SAMPLE_RATE)
        assert abs(len(moved) - len(sound)) < SAMPLE_RATE // 25
        later, earlier = (moved, sound) if frames > 0 else (sound, moved)
        n = min(len(later), len(earlier)) - step
        assert np.corrcoef(later[step:step + n], earlier[:n])[0, 1] > 0.9  # the same sound, 160 ms apart
        assert np.corrcoef(moved[:n], sound[:n])[0, 1] < 0.5  # and not where it was


def test_the_lag_column_finds_a_known_shift():
    """The probe's lag column is the plan's picture_lag, the other plan against the recorded one."""
    rng = np.random.default_rng(0)
    series = np.convolve(rng.normal(size=300), np.ones(3) / 3, mode="same")
    every = np.ones(300, bool)
    assert _probe().picture_lag(np.roll(series, 3), series, every, 25.0)[0] == -3  # the other comes 3 frames later
    assert _probe().picture_lag(series, series, every, 25.0)[0] == 0


def test_the_probe_prints_a_row_per_soundtrack(devset):
    result = subprocess.run([sys.executable, str(SCRIPT), "es_woman.mp4", "--devset", str(devset)],
                            capture_output=True, text=True, timeout=600, check=True)
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("es_woman.mp4")]
    assert [row[1] for row in rows] == ["+0", "+4", "-4"]
    assert rows[0][2] == "+0"  # the recorded soundtrack agrees with itself at lag 0
    assert all(np.isfinite([float(x) for x in row[3:]]).all() for row in rows)  # the plan's scores and weight read
