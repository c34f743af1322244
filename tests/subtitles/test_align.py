"""Scripts aligned to speech, and speech recognised without one, measured against known timings:
hand-checked lines of the shared English clips, and speech our TTS made (its sentence times are exact)."""

from __future__ import annotations

import json
from math import gcd
from pathlib import Path

import numpy as np
import pytest

from heygem.errors import InputError
from heygem.media.decode import load_audio
from heygem.subtitles import align, build_cues
from heygem.subtitles.timing import phrases_for

REFERENCE = json.loads((Path(__file__).parents[1] / "data" / "subtitle_lines.json").read_text(encoding="utf-8"))
TOLERANCE_S = 0.5


def line_errors(phrases, reference) -> list[float]:
    found = align.time_lines(phrases, [text for text, _, _ in reference])
    return [max(abs(f.start - start), abs(f.end - end)) for f, (_, start, end) in zip(found, reference)]


@pytest.mark.parametrize("clip", REFERENCE["clips"], ids=lambda c: Path(c["file"]).stem)
def test_script_lines_land_where_they_are_spoken(testmedia, clip):
    samples = load_audio(testmedia / clip["file"], 16000)
    script = " ".join(text for text, _, _ in clip["lines"])
    errors = line_errors(align.align_english(samples, script), clip["lines"])
    assert max(errors) <= TOLERANCE_S, errors


def _speech_16k(text: str, voice: str | None):
    from scipy.signal import resample_poly

    from heygem.tts import synthesize

    speech = synthesize(text, voice)
    g = gcd(16000, speech.sample_rate)
    return resample_poly(speech.samples, 16000 // g, speech.sample_rate // g).astype(np.float32), speech


def test_script_aligned_to_made_english_speech():
    pytest.importorskip("piper", reason="Piper voices not installed")
    sentences = ["The new library opens on Monday morning.", "Everyone is welcome to visit and borrow books.",
                 "Thank you for listening."]
    samples, speech = _speech_16k(" ".join(sentences), "en-joe")
    reference = [(text, start, end) for start, end, text in speech.phrases]
    assert [text for text, _, _ in reference] == sentences
    errors = line_errors(align.align_english(samples, " ".join(sentences)), reference)
    assert max(errors) <= TOLERANCE_S, errors


def test_mandarin_script_spread_over_the_speech():
    sentences = ["新的图书馆将在星期一早上开放。", "欢迎大家前来参观和借书。", "孩子们放学后可以参加读书会。"]
    samples, speech = _speech_16k("".join(sentences), "zh-espeak")
    reference = [(text, start, end) for start, end, text in speech.phrases]
    errors = line_errors(align.spread_over_speech(samples, "".join(sentences)), reference)
    # A pause follows every sentence here, so each line end lands on its pause (0.09 s measured).
    assert max(errors) <= 0.25, errors


def test_without_a_script_english_is_recognised_and_other_languages_ask_for_one(testmedia, tmp_path):
    english = load_audio(testmedia / "video" / "man_map_en.mp4", 16000)
    cues = build_cues(phrases_for(tmp_path / "none.wav", english, None))
    words = " ".join(c.text for c in cues).lower().split()
    assert {"california", "congressional", "district"} <= set(words)
    assert cues[0].start < 0.5 and abs(cues[-1].start - 4.36) < 0.3  # "growing up", after the last pause
    mandarin = load_audio(testmedia / "audio" / "zh_news_8s.wav", 16000)
    with pytest.raises(InputError, match="need a script.*--script"):
        phrases_for(tmp_path / "none.wav", mandarin, None)
