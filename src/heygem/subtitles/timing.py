"""Where a job's subtitle timings come from, best first:

1. speech we synthesised: the TTS reports when each sentence starts and ends (saved beside the
   speech file, see tts.sidecars);
2. audio with a script: the script aligned to the audio (see align.py);
3. audio alone: English speech recognised; other languages need a script.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from ..errors import InputError
from ..tts import sidecars
from ..tts.text import detect_language
from . import align
from .cues import Phrase

log = logging.getLogger("heygem.subtitles")

ENGLISH_MIN_LOGPROB_PER_S = -2.2
"""Recognition posterior (log10 per second of audio) below which speech is taken for another
language. On the shared clips English scored -0.8 to -2.15; German, Japanese, Spanish and one
Mandarin clip -2.3 to -3.4, but two short Mandarin clips -1.7 and -2.16 pass for English. It is a
guess: a script, when given, always wins."""


def load_phrases(audio: str | os.PathLike[str]) -> list[Phrase] | None:
    """Timings saved by the synthesis for this speech file, else None."""
    rows = sidecars.load(audio, "phrases")
    return None if rows is None else [Phrase(*row) for row in rows]


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
