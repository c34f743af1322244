"""The text-job evaluation renders a template speaking synthesised text as a text job does."""

import logging

import pytest
from trainingscripts import load

from heygem.tts import voices


def test_a_template_speaks_synthesised_text_with_the_synthesisers_phonemes(testmedia, tmp_path, capsys, caplog):
    if voices.missing_packages(voices.resolve("en-espeak", "en")):
        pytest.skip("eSpeak NG is not installed")
    with caplog.at_level(logging.INFO, logger="heygem"):
        load("text_jobs").main(["--testmedia", str(testmedia), "--out", str(tmp_path), "--voices", "en-espeak",
                                "--templates", "man_map_en.mp4"])
    assert any(r.getMessage().startswith("mouth phones from the speech synthesis") for r in caplog.records)
    assert any("another voice" in r.getMessage() for r in caplog.records)
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("man_map_en <- en-espeak")]
    assert len(rows) == 1
    frozen, jitter, loud_r = float(rows[0][3].rstrip("%")), float(rows[0][4]), float(rows[0][5])
    assert 0 <= frozen <= 100 and 0.3 < jitter < 3 and -1 <= loud_r <= 1
    assert (tmp_path / "man_map_en" / "cross-en-espeak.mp4").stat().st_size > 0  # --out keeps the video
