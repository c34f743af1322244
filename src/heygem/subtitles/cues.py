"""Timed text -> readable cues: at most two lines, 1-7 s, never shorter than reading time,
cut at punctuation or pauses, never inside a word.

Input is a list of `Phrase`s (a sentence from the TTS, a word from the aligner, ...). Each phrase
is cut into atoms (a Latin word or one Han character, with the punctuation after it); an atom's
time is its share of the phrase's span by speaking weight. Cues are then filled greedily with
atoms and cut at the strongest boundary that keeps them within the limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..tts.text import weight

LINE_CHARS_LATIN = 42
"""Latin characters on one line (a common broadcast limit)."""
LINE_CHARS_CJK = 16
"""Han (or other CJK) characters on one line."""
MAX_LINES = 2
MIN_CUE_S, MAX_CUE_S = 1.0, 7.0
READ_CPS_LATIN, READ_CPS_CJK = 20.0, 9.0
"""Reading speed in characters per second (common broadcast limits for adult viewers, English and
Chinese): a cue stays up at least that long, or joins a neighbour when the pauses leave no room."""
PAUSE_CUT_S = 0.6
"""A pause at least this long always ends a cue: no caption over a long silence."""
SENTENCE_PAUSE_S = 0.2
"""A sentence followed by at least this pause ends its cue: a new sentence starts a new caption."""
GAP_S = 0.04
"""Space kept between consecutive cues so players never show two at once."""

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_LETTER = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"  # Han, kana, hangul
_ATOM = re.compile(rf"[{_LETTER}][^\w\s]*\s*|[^\s{_LETTER}]+\s*")  # one such character, or a word
_SENTENCE_END = ("。", "！", "？", "!", "?", ".", "…", "；", ";")
_CLAUSE_END = ("，", ",", "、", "：", ":", "—", "-", ")", "）", "\"", "”", "」")


@dataclass(frozen=True)
class Phrase:
    """Words spoken from `start` to `end` seconds (from the start of the audio)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Cue:
    """One subtitle: `text` (one or two lines joined by "\\n") shown from `start` to `end` seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class _Atom:
    start: float
    end: float
    text: str  # with its trailing punctuation and space


def line_width(text: str) -> float:
    """How much of one line `text` takes (1.0 = full): CJK characters count 1/16, others 1/42."""
    text = text.strip()
    cjk = len(_CJK.findall(text))
    return cjk / LINE_CHARS_CJK + (len(text) - cjk) / LINE_CHARS_LATIN


def reading_seconds(text: str) -> float:
    """Time a viewer needs to read `text`."""
    flat = text.replace("\n", " ").strip()
    cjk = len(_CJK.findall(flat))
    return cjk / READ_CPS_CJK + (len(flat) - cjk) / READ_CPS_LATIN


def build_cues(phrases: list[Phrase]) -> list[Cue]:
    """Readable cues covering `phrases` in order (phrases must not overlap)."""
    atoms = [a for phrase in phrases for a in _atoms(phrase)]
    groups: list[list[_Atom]] = []
    i = 0
    while i < len(atoms):
        j = i + 1
        while j < len(atoms) and not _must_cut(atoms, j) and _fits(atoms[i : j + 1]):
            j += 1
        if j < len(atoms) and not _must_cut(atoms, j):
            j = _best_cut(atoms, i, j)
        groups.append(atoms[i:j])
        i = j
    groups = _merge_short(groups)
    cues = [Cue(g[0].start, g[-1].end, wrap("".join(a.text for a in g))) for g in groups]
    return _stretch(cues)


def wrap(text: str) -> str:
    """One line when it fits, else two lines broken at the space (or between CJK characters)
    that balances them best, preferring a break after punctuation."""
    text = " ".join(text.split())
    if line_width(text) <= 1.0:
        return text
    pieces = atoms_of(text)
    best, best_score = text, float("inf")
    for k in range(1, len(pieces)):
        left, right = "".join(pieces[:k]).strip(), "".join(pieces[k:]).strip()
        score = max(line_width(left), line_width(right)) - 0.3 * (_strength(pieces[k - 1]) >= 2)
        if score < best_score:
            best, best_score = f"{left}\n{right}", score
    return best


def atoms_of(text: str) -> list[str]:
    """The units a cue is cut between: Latin words and single Han/kana/hangul characters,
    each with the punctuation and space after it."""
    return [m.group() for m in _ATOM.finditer(text.strip())]


def ends_clause(text: str) -> bool:
    """True when `text` ends a sentence or a clause (a good place for a line to end)."""
    return _strength(text) >= 2


def _atoms(phrase: Phrase) -> list[_Atom]:
    pieces = atoms_of(phrase.text)
    if not pieces:
        return []
    weights = [max(1, weight(p.strip())) for p in pieces]
    total, span, done = sum(weights), phrase.end - phrase.start, 0
    out = []
    for piece, w in zip(pieces, weights):
        start = phrase.start + span * done / total
        done += w
        spaced = piece if piece.endswith(" ") or _CJK.match(piece) else piece + " "  # words stay apart
        out.append(_Atom(start, phrase.start + span * done / total, spaced))
    return out


def _fits(group: list[_Atom]) -> bool:
    text = "".join(a.text for a in group)
    return group[-1].end - group[0].start <= MAX_CUE_S and wrap(text).count("\n") < MAX_LINES and all(
        line_width(line) <= 1.0 for line in wrap(text).split("\n"))


def _must_cut(atoms: list[_Atom], j: int) -> bool:
    """A cue always ends before atom j after a long pause, or after a sentence that ends in a pause."""
    pause = atoms[j].start - atoms[j - 1].end
    return pause >= PAUSE_CUT_S or (pause >= SENTENCE_PAUSE_S and _strength(atoms[j - 1].text) == 3)


def _strength(text: str) -> int:
    """How good a place to end a cue the end of `text` is: 3 sentence end, 2 clause end, 1 word end."""
    tail = text.rstrip().rstrip("\"'”’」』）)")
    if tail.endswith(_SENTENCE_END):
        return 3
    if text.rstrip().endswith(_CLAUSE_END):
        return 2
    return 1


def _best_cut(atoms: list[_Atom], i: int, j: int) -> int:
    """Where to end the cue that could hold atoms[i:j]: the strongest boundary (punctuation, then a
    pause) in its latter two thirds, the latest one on a tie."""
    first = i + max(1, (j - i) // 3)
    best, best_key = j, (0, 0.0)
    for k in range(first, j + 1):
        pause = atoms[k].start - atoms[k - 1].end if k < len(atoms) else 0.0
        key = (max(_strength(atoms[k - 1].text), 2 if pause >= 0.2 else 1), k)
        if key > best_key:
            best, best_key = k, key
    return best


def _merge_short(groups: list[list[_Atom]]) -> list[list[_Atom]]:
    """Join a cue that has no room to stay readable (the gaps around it are too small) with its
    next neighbour, or else its previous one, when the two fit in one cue."""
    groups = list(groups)
    n = 0
    while n < len(groups):
        group = groups[n]
        text = "".join(a.text for a in group)
        lo = groups[n - 1][-1].end + GAP_S if n > 0 else 0.0
        hi = groups[n + 1][0].start - GAP_S if n + 1 < len(groups) else float("inf")
        if hi - lo >= max(MIN_CUE_S, reading_seconds(text)):
            n += 1
        elif n + 1 < len(groups) and _fits(group + groups[n + 1]):
            groups[n : n + 2] = [group + groups[n + 1]]
        elif n > 0 and _fits(groups[n - 1] + group):
            groups[n - 1 : n + 1] = [groups[n - 1] + group]
            n -= 1
        else:
            n += 1
    return groups


def _stretch(cues: list[Cue]) -> list[Cue]:
    """Make each cue last at least max(MIN_CUE_S, reading time): later into the gap after it,
    then earlier into the gap before it; never overlapping a neighbour."""
    out: list[Cue] = []
    for n, cue in enumerate(cues):
        need = max(MIN_CUE_S, reading_seconds(cue.text)) - (cue.end - cue.start)
        start, end = cue.start, cue.end
        if need > 0:
            limit = cues[n + 1].start - GAP_S if n + 1 < len(cues) else float("inf")
            end = max(end, min(end + need, limit))
            need -= end - cue.end
        if need > 0:
            floor = max(0.0, out[-1].end + GAP_S if out else 0.0)
            start = min(start, max(start - need, floor))
        out.append(Cue(start, min(end, start + MAX_CUE_S), cue.text))
    return out
