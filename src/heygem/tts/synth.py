"""Text -> speech: normalise, split, speak piece by piece, join with short pauses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import InputError
from . import text as textmod
from .normalize import normalize
from .types import Phone, Speech
from .voices import engine, resolve

if TYPE_CHECKING:
    import numpy as np

_LOG = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
"""Longest text accepted: about an hour of speech. Longer scripts belong in several videos."""
MIN_SPEED, MAX_SPEED = 0.5, 2.0
SENTENCE_PAUSE_S = 0.30
"""Silence between sentences."""
CLAUSE_PAUSE_S = 0.15
"""Silence where a sentence too long for one engine call was cut at a comma."""
EDGE_PAD_S = 0.03
"""Silence kept around each piece after trimming, so plosives and breaths are not cut."""
_SILENCE = 10 ** (-45 / 20)
"""Samples below -45 dBFS count as silence when trimming the ends of a piece."""


def synthesize(text: str, voice: str | None = None, speed: float = 1.0) -> Speech:
    """Speak `text` with the named voice (default: chosen by the text's language).

    Raises InputError for empty or over-long text, an unknown voice or a speed out of range,
    and EngineUnavailable when the voice's packages are not installed.
    """
    import numpy as np

    parts = list(iter_speech(text, voice, speed))
    samples = np.concatenate([p.samples for p in parts])
    phones: tuple[Phone, ...] | None = None
    if all(p.phonemes is not None for p in parts):
        offset, collected = 0.0, list[Phone]()
        for part in parts:
            collected.extend((s + offset, e + offset, ph) for s, e, ph in part.phonemes or ())
            offset += part.duration
        phones = tuple(collected)
    offsets = np.cumsum([0.0] + [p.duration for p in parts])
    phrases = tuple((s + float(o), e + float(o), t) for part, o in zip(parts, offsets) for s, e, t in part.phrases or ())
    return Speech(samples, parts[0].sample_rate, phones, parts[0].voice, phrases)


def iter_speech(text: str, voice: str | None = None, speed: float = 1.0) -> Iterator[Speech]:
    """Like `synthesize`, but yields the speech piece by piece as soon as each is ready.

    Each piece carries the pause that follows it, so concatenating them gives the full speech.
    Everything is validated before the first piece is spoken.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("text is empty: give the words to speak")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"text is {len(text)} characters long; the limit is {MAX_TEXT_CHARS}")
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise InputError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
    language = textmod.detect_language(text)
    chosen = resolve(voice, language)
    if chosen.language == "en" and language == "zh":
        # The English voices spell Chinese characters out as "Chinese letter"; say so now.
        raise InputError(f"voice {chosen.name!r} speaks English only but the text has Chinese characters; "
                         "use a zh-* voice (they also read English words)")
    pieces = textmod.split_text(normalize(text, chosen.language))
    if not pieces:
        raise InputError(f"text has nothing to pronounce: {text[:60]!r}")
    # Subtitles show the text as written ("3.5%", not "three point five percent") when it splits
    # into the same pieces; else the normalised text.
    written = textmod.split_text(text)
    shown = [p.text for p in written] if len(written) == len(pieces) else [p.text for p in pieces]
    speak = engine(chosen).speak
    _LOG.info("speaking %d piece(s) with voice %s", len(pieces), chosen.name)
    for piece, text_shown in zip(pieces, shown):
        speech = speak(piece.text, chosen, speed)
        pause = SENTENCE_PAUSE_S if piece.ends_sentence else CLAUSE_PAUSE_S
        yield _trim_and_pad(speech, pause, text_shown)


def _trim_and_pad(speech: Speech, pause_s: float, text: str = "") -> Speech:
    """Cut the piece's own leading/trailing silence (engines differ) and append `pause_s`;
    the result's one phrase says when `text` is heard in it.

    Consistent pauses make the mouth close for the same time between every sentence.
    """
    import numpy as np

    samples, rate = speech.samples, speech.sample_rate
    loud = np.flatnonzero(np.abs(samples) > _SILENCE)
    pad = round(EDGE_PAD_S * rate)
    if len(loud):
        start = max(0, int(loud[0]) - pad)
        end = min(len(samples), int(loud[-1]) + 1 + pad)
    else:
        start = end = 0
    tail = np.zeros(round(pause_s * rate), np.float32)
    trimmed: np.ndarray = np.concatenate([samples[start:end].astype(np.float32), tail])
    phones = None
    if speech.phonemes is not None:
        shift, limit = start / rate, (end - start) / rate
        phones = tuple(
            (max(0.0, s - shift), min(limit, e - shift), ph)
            for s, e, ph in speech.phonemes
            if e - shift > 0 and s - shift < limit
        )
    heard = ((float(loud[0]) - start) / rate, (float(loud[-1]) + 1 - start) / rate, text) if len(loud) else None
    return Speech(trimmed, rate, phones, speech.voice, (heard,) if heard and text else ())
