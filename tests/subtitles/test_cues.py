"""Cue rules (lines, lengths, durations, cuts) and the files: SRT and WebVTT read back by standard parsers."""

from __future__ import annotations

import re

import pytest

from heygem.subtitles import Cue, Phrase, build_cues, to_srt, to_vtt
from heygem.subtitles.cues import MAX_CUE_S, MIN_CUE_S, reading_seconds

EN = ("Course videos, shop clips and announcements are often watched without sound. "
      "Subtitles carry the words to those viewers, so every cue has to be easy to read: "
      "short lines, whole words, and enough time on screen to read them before the next one comes. "
      "This paragraph is long enough to need several cues of two lines each.")
ZH = "课程视频、商店短片和公告常常在静音状态下观看。字幕把内容传达给这些观众，因此每一条字幕都必须易于阅读：行要短，词要完整，并且在屏幕上停留足够的时间。"


def check_rules(cues: list[Cue], text: str, cjk: bool) -> None:
    limit = 16 if cjk else 42
    for cue in cues:
        lines = cue.text.split("\n")
        assert 1 <= len(lines) <= 2, cue
        assert all(0 < len(line) <= limit for line in lines), cue
        assert MIN_CUE_S - 1e-6 <= cue.end - cue.start <= MAX_CUE_S + 1e-6, cue
        assert cue.end - cue.start >= reading_seconds(cue.text) - 1e-6, cue
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:])), "cues overlap or are out of order"
    # Never mid-word: the cues' words, in order, are exactly the text's words.
    joined = "".join(cues_text.replace("\n", "" if cjk else " ") + ("" if cjk else " ") for cues_text in
                     (c.text for c in cues))
    assert joined.split() == text.split() if not cjk else joined == text


@pytest.mark.parametrize("text, cjk, seconds_per_char", [(EN, False, 0.065), (ZH, True, 0.22)])
def test_cues_follow_the_reading_rules(text, cjk, seconds_per_char):
    # One phrase spoken at a natural rate (about 15 Latin or 4.5 Han characters a second).
    cues = build_cues([Phrase(0.5, 0.5 + seconds_per_char * len(text), text)])
    assert len(cues) >= 3
    check_rules(cues, text, cjk)
    # Cuts fall on punctuation where the text has it: most cues end a clause or sentence.
    ends = sum(bool(re.search(r"[,.:;，。：；、]$", c.text)) for c in cues)
    assert ends >= len(cues) // 2, [c.text for c in cues]


def test_sentences_start_new_cues_and_short_ones_stay_readable():
    phrases = [Phrase(0.0, 0.4, "Hi."), Phrase(0.8, 2.6, "Welcome to the shop."),
               Phrase(3.0, 3.5, "Thanks!"), Phrase(5.0, 7.0, "Goodbye, see you soon.")]
    cues = build_cues(phrases)
    # "Hi." has no room for a readable second: it joins the next sentence; "Thanks!" has room and
    # stays up one second, past its speech into the pause.
    assert [c.text for c in cues] == ["Hi. Welcome to the shop.", "Thanks!", "Goodbye, see you soon."]
    assert (cues[0].start, cues[0].end) == (0.0, 2.6)
    assert (cues[1].start, cues[1].end) == (3.0, 4.0)
    assert all(c.end - c.start >= MIN_CUE_S for c in cues)


def test_srt_and_vtt_parse_with_standard_parsers():
    import srt
    import webvtt

    cues = [Cue(0.25, 2.5, "第一行字幕\nsecond line"), Cue(3.0, 4.75, "Done, 完成。"), Cue(3725.5, 3727.0, "an hour later")]
    parsed = list(srt.parse(to_srt(cues)))
    assert [(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in parsed] == [
        (c.start, c.end, c.text) for c in cues]
    vtt = webvtt.from_string(to_vtt(cues))
    assert [(c.start, c.end, c.text) for c in vtt.captions] == [
        ("00:00:00.250", "00:00:02.500", "第一行字幕\nsecond line"), ("00:00:03.000", "00:00:04.750", "Done, 完成。"),
        ("01:02:05.500", "01:02:07.000", "an hour later")]
