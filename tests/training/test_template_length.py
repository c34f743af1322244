"""The template-length probe: templates of the last seconds before the drive, a row each."""

import re
import shutil
import subprocess
import sys

from trainingscripts import TRAINING

from heygem.media.decode import VideoSource
from heygem.motion import general


def test_the_probe_prints_a_row_per_template_length(devset, tmp_path):
    held = tmp_path / "held"
    held.mkdir()
    shutil.copy(general.WEIGHTS, held / "spk15.npz")  # es_woman's speaker: the probe's mechanics, not its scores
    result = subprocess.run(
        [sys.executable, str(TRAINING / "template_length.py"), "es_woman.mp4", "--lengths", "2", "30",
         "--devset", str(devset), "--cache", str(tmp_path / "cache"), "--held-out", str(held),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=600, check=True)
    rows = [line for line in result.stdout.splitlines() if line.startswith("es_woman.mp4")]
    # no 30 s template: the clip has 7 s before its drive
    assert [re.search(r"(all )?\d+ s", row).group(0) for row in rows] == ["2 s", "all 7 s"]
    for row in rows:
        own, other = re.search(r" s +(-?\d\.\d+) +(-?\d\.\d+)", row).groups()
        assert -1 <= float(own) <= 1 and -1 <= float(other) <= 1
    with VideoSource(tmp_path / "work" / "es_woman" / "2s" / "template.mp4") as source:
        assert source.info.frame_count == 50  # 2 s at 25 fps


def test_a_clip_outside_the_development_set_is_refused(devset, tmp_path):
    result = subprocess.run([sys.executable, str(TRAINING / "template_length.py"), "nope.mp4", "--devset", str(devset)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not in the development set: nope.mp4" in result.stderr
