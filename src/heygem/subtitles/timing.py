"""Where a job's subtitle timings come from, best first:

1. speech we synthesised: the TTS reports when each sentence starts and ends (saved beside the
   speech file by `save_phrases`);
2. audio with a script: the script aligned to the audio (see align.py);
3. audio alone: English speech recognised; other languages need a script.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..media.checks import written_whole
from ..tts.text import detect_language
from . import align
from .cues import Phrase

log = logging.getLogger("heygem.subtitles")

ENGLISH_MIN_LOGPROB_PER_S = -2.2
"""Recognition posterior (log10 per second of audio) below which speech is taken for another
language. On the shared clips English scored -0.8 to -2.15; German, Japanese, Spanish and one
Mandarin clip -2.3 to -3.4, but two short Mandarin clips -1.7 and -2.16 pass for English. It is a
guess: a script, when given, always wins."""


def phrases_path(audio: str | os.PathLike[str]) -> Path:
    """The timings file that belongs to a synthesised speech file."""
    audio = Path(audio)
    return audio.with_name(audio.name + ".phrases.json")


def save_phrases(phrases: tuple[tuple[float, float, str], ...] | None, audio: str | os.PathLike[str]) -> None:
    """Keep the TTS's sentence timings beside its speech file (nothing when it reported none)."""
    if not phrases:
        return
    target = phrases_path(audio)
    with written_whole(target) as part:
        part.write_text(json.dumps([[s, e, t] for s, e, t in phrases], ensure_ascii=False), encoding="utf-8")


def load_phrases(audio: str | os.PathLike[str]) -> list[Phrase] | None:
    """Timings saved by `save_phrases` for this speech file, else None."""
    path = phrases_path(audio)
    if not path.is_file():
        return None
    return [Phrase(float(s), float(e), str(t)) for s, e, t in json.loads(path.read_text(encoding="utf-8"))]


def phrases_for(audio: str | os.PathLike[str], samples: np.ndarray, script: str | None) -> list[Phrase]:
    """Timed words or sentences for the 16 kHz `samples` of `audio` (see the module doc for the order)."""
    synthesised = load_phrases(audio)
    if synthesised is not None:
        log.info("subtitle timings from the speech synthesis (%d sentences)", len(synthesised))
        return synthesised
    if script and script.strip():
        if detect_language(script) == "zh":
            log.info("subtitles: script spread over the speech segments, character by character")
            return align.spread_over_speech(samples, script)
        log.info("subtitles: script aligned word by word")
        return align.align_english(samples, script)
    words, logprob = align.recognize_english(samples)
    if not words or logprob < ENGLISH_MIN_LOGPROB_PER_S:
        raise InputError("subtitles for this audio need a script: without one only English speech is "
                         "recognised, and this does not sound like English; give the spoken words with "
                         "--script or --script-file (API and web UI: the script field)")
    log.info("subtitles: %d English words recognised", len(words))
    return words
