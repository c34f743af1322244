"""Words -> times for audio that did not come from our TTS.

* A script in English is force-aligned word by word with pocketsphinx (its wheel ships the en-us
  acoustic model and dictionary); names the dictionary lacks are spelled from known parts or
  letter by letter, and tokens without letters (numbers, symbols) take their share of the time
  between their neighbours.
* A Mandarin script (or an English one the aligner cannot place) is spread character by
  character over the speech the VAD finds, with sentence and clause ends moved onto pauses.
* Without a script, English speech is recognised with pocketsphinx.

All functions take 16 kHz mono float32 samples and return `Phrase`s in order.
"""

from __future__ import annotations

import logging
import math
import re
from fractions import Fraction

import numpy as np

from ..analysis.phone_decoder import pcm16
from ..errors import EngineUnavailable
from ..tts.text import weight
from .cues import Phrase, atoms_of, ends_clause

log = logging.getLogger("heygem.subtitles")

SAMPLE_RATE = 16000
FRAME_S = 0.01
"""pocketsphinx and the VAD mask both work in 10 ms frames."""
SNAP_S = 1.0
"""A line end estimated this close to a pause is moved onto the pause."""
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def speech_segments(samples: np.ndarray) -> list[tuple[float, float]]:
    """(start_s, end_s) of each stretch of speech, from the VAD the lip sync uses."""
    from ..analysis.audio import frame_count, frame_loudness, speech_mask

    rate = Fraction(100)  # 10 ms frames
    count = frame_count(len(samples), SAMPLE_RATE, rate)
    mask = speech_mask(samples, frame_loudness(samples, SAMPLE_RATE, rate, count), rate)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(s * FRAME_S, e * FRAME_S) for s, e in zip(edges[::2], edges[1::2])]


def align_english(samples: np.ndarray, script: str) -> list[Phrase]:
    """Each script word (as written, with its punctuation) timed by forced alignment.

    Falls back to `spread_over_speech` when the aligner fails or knows none of the words.
    """
    tokens = script.split()
    decoder = _decoder()
    spoken: list[tuple[int, str]] = []  # (token index, dictionary word)
    for n, token in enumerate(tokens):
        for word in _WORD.findall(token.lower().replace("’", "'")):
            if _known(decoder, word):
                spoken.append((n, word))
    times = _force_align(decoder, samples, [w for _, w in spoken]) if spoken else None
    if times is None:
        log.warning("word alignment failed; spreading the script over the speech instead")
        return spread_over_speech(samples, script)
    starts: list[float | None] = [None] * len(tokens)
    ends: list[float | None] = [None] * len(tokens)
    for (n, _), (start, end) in zip(spoken, times):
        starts[n] = start if starts[n] is None else starts[n]
        ends[n] = end
    return _fill_gaps(tokens, starts, ends, len(samples) / SAMPLE_RATE)


def recognize_english(samples: np.ndarray) -> tuple[list[Phrase], float]:
    """English words recognised with pocketsphinx's general language model, one Phrase each, and
    the recognition's posterior (log10 per second of audio): low for speech in other languages."""
    decoder = _decoder()
    decoder.start_utt()
    decoder.process_raw(pcm16(samples), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    if hypothesis is None:
        return [], float("-inf")
    logprob = math.log10(max(hypothesis.prob, 1e-300)) / max(len(samples) / SAMPLE_RATE, 1.0)
    words = []
    for seg in decoder.seg():
        word = seg.word.split("(")[0]
        if word.startswith(("<", "[")):
            continue
        if word == "i" or word.startswith("i'"):  # the dictionary is lower case: "i'm" -> "I'm"
            word = "I" + word[1:]
        words.append(Phrase(seg.start_frame * FRAME_S, (seg.end_frame + 1) * FRAME_S, word))
    return words, logprob


def spread_over_speech(samples: np.ndarray, script: str) -> list[Phrase]:
    """Characters over the speech: each atom (Han character or word) gets its speaking weight's
    share of the total speech time, skipping pauses; a clause or sentence end estimated within
    SNAP_S of a pause is moved onto it, so lines start when their speech starts."""
    segments = speech_segments(samples) or [(0.0, len(samples) / SAMPLE_RATE)]
    atoms = atoms_of(" ".join(script.split()))
    if not atoms:
        return []
    weights = np.array([max(1, weight(a.strip())) for a in atoms], float)
    speech = np.cumsum([0.0] + [e - s for s, e in segments])  # speech time at each segment start
    bounds = speech[-1] * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    # Snap clause ends to the nearest free pause (pauses sit at speech times speech[1:-1]).
    pauses = list(speech[1:-1])
    anchor = 0  # the last boundary already on a pause: later snaps leave it there
    for k in range(1, len(atoms)):
        free = [p for p in pauses if bounds[anchor] < p < bounds[-1]]
        if not ends_clause(atoms[k - 1]) or not free:
            continue
        nearest = min(free, key=lambda p: abs(p - bounds[k]))
        if abs(nearest - bounds[k]) <= SNAP_S:
            pauses.remove(nearest)
            _snap(bounds, anchor, k, nearest)
            anchor = k

    def real(t: float, leaving: bool) -> float:
        """Speech time -> audio time; at a segment edge, `leaving` picks the earlier segment's end."""
        k = int(np.searchsorted(speech, t, side="left" if leaving else "right")) - 1
        k = min(max(k, 0), len(segments) - 1)
        return segments[k][0] + t - speech[k]

    return [Phrase(real(bounds[k], False), real(bounds[k + 1], True), atom) for k, atom in enumerate(atoms)]


def _snap(bounds: np.ndarray, anchor: int, k: int, target: float) -> None:
    """Move boundary k to `target`, stretching the boundaries between `anchor` and k, and after k,
    linearly (their order is kept; boundary `anchor` and the last one stay)."""
    lo, old, hi = bounds[anchor], bounds[k], bounds[-1]
    before, after = bounds[anchor : k + 1].copy(), bounds[k:].copy()
    bounds[anchor : k + 1] = lo + (before - lo) * (target - lo) / (old - lo)
    bounds[k:] = target + (after - old) * (hi - target) / (hi - old)


def _fill_gaps(tokens: list[str], starts: list, ends: list, total: float) -> list[Phrase]:
    """Tokens the aligner could not place share the time between their placed neighbours."""
    out: list[Phrase] = []
    n = 0
    while n < len(tokens):
        if starts[n] is not None:
            out.append(Phrase(starts[n], ends[n], tokens[n]))
            n += 1
            continue
        m = n
        while m < len(tokens) and starts[m] is None:
            m += 1
        lo = out[-1].end if out else (starts[m] if m < len(tokens) else 0.0) - 0.3 * (m - n)
        hi = starts[m] if m < len(tokens) else min(total, lo + 0.3 * (m - n))
        lo = max(0.0, min(lo, hi))
        step = (hi - lo) / (m - n)
        out.extend(Phrase(lo + i * step, lo + (i + 1) * step, tokens[n + i]) for i in range(m - n))
        n = m
    return out


_LETTER_PHONES = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "AE B K D EH F G HH IH JH K L M N AA P K R S T AH V W K S Y IY Z").split()))
"""A rough sound per letter, for names no dictionary knows: it gives the word about the right length."""


def _known(decoder, word: str) -> bool:
    """True when the decoder can pronounce `word`; names it does not know are added to its
    dictionary, spelled from known parts ("thornfield" = thorn + field) or else letter by letter."""
    if decoder.lookup_word(word) is not None:
        return True
    letters = word.replace("'", "")
    if not letters:
        return False
    phones = _compound(decoder, letters) or " ".join(_LETTER_PHONES[c] for c in letters if c in _LETTER_PHONES)
    decoder.add_word(word, phones, True)
    return True


def _compound(decoder, word: str) -> str | None:
    """Pronunciation of `word` as the fewest known words of three or more letters each, if any."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(3, len(word) + 1):
        for start in range(0, end - 2):
            if best[start] is None:
                continue
            phones = decoder.lookup_word(word[start:end])
            if phones and (best[end] is None or len(best[start]) + 1 < len(best[end])):
                best[end] = [*best[start], phones]
    return " ".join(best[-1]) if best[-1] else None


def _force_align(decoder, samples: np.ndarray, words: list[str]) -> list[tuple[float, float]] | None:
    """(start_s, end_s) of each word, or None when pocketsphinx cannot align them."""
    try:
        decoder.set_align_text(" ".join(words))
        decoder.start_utt()
        decoder.process_raw(pcm16(samples), full_utt=True)
        decoder.end_utt()
    except RuntimeError as exc:  # "Alignment failed" and similar
        log.info("pocketsphinx alignment failed: %s", exc)
        return None
    found = [(s.start_frame * FRAME_S, (s.end_frame + 1) * FRAME_S)
             for s in decoder.seg() if not s.word.startswith(("<", "["))]
    return found if len(found) == len(words) else None


def _decoder():
    # A fresh decoder per call (about 0.2 s): decoders are not thread-safe and jobs run in parallel.
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise EngineUnavailable("English subtitles from audio need pocketsphinx: pip install pocketsphinx") from exc
    return Decoder(loglevel="ERROR")


def time_lines(phrases: list[Phrase], lines: list[str]) -> list[Phrase]:
    """When each of `lines` (consecutive pieces of the script that `phrases` came from) is spoken:
    from its first atom's start to its last atom's end. For measuring alignment against references."""
    out, k = [], 0
    for line in lines:
        n = len(atoms_of(line))
        out.append(Phrase(phrases[k].start, phrases[k + n - 1].end, line))
        k += n
    return out
