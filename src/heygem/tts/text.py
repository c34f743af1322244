"""Language detection and splitting long text into pieces an engine speaks one at a time.

Pieces keep synthesis memory flat and let the first audio come early; the joiner puts a
longer pause after a sentence than after a clause that was only cut for length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

MAX_PIECE_WEIGHT = 240
"""Longest piece handed to an engine, in Latin characters (a Han character counts 3):
about 15 s of speech. Longer sentences are cut at commas, then at spaces."""

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e",
    "no", "fig", "inc", "ltd", "co", "mt", "approx", "dept",
}

# A sentence ends at Chinese/Western end punctuation (and closing quotes after it), or at a
# line break. "." ends one only before a space, a closing quote, a Han character or the end,
# so 3.14 and example.com stay whole.
_SENTENCE_END = re.compile(
    r"(?:[。！？!?；;…]+|\.(?=[\s\"'”’」』）)\]】]|$|[\u3400-\u9fff]))[\"'”’」』）)\]】]*|\n+"
)
_CLAUSE_END = re.compile(r"[，,、：:—]+\s*")


@dataclass(frozen=True)
class Piece:
    """A piece of text to speak in one engine call."""

    text: str
    ends_sentence: bool


def detect_language(text: str) -> str:
    """'zh' when the text holds any Han character, else 'en'.

    Any Han character decides, because the Mandarin voices read embedded English words but
    the English voices cannot read Chinese characters at all.
    """
    return "zh" if _HAN.search(text) else "en"


def weight(text: str) -> int:
    """Rough speaking length of a text in Latin characters (a Han syllable counts 3)."""
    han = len(_HAN.findall(text))
    return len(text) - han + 3 * han


def is_speakable(text: str) -> bool:
    """True when the text has something to pronounce (a letter, digit or Han character)."""
    return any(ch.isalnum() for ch in text)


def split_sentences(text: str) -> list[str]:
    """Split at sentence punctuation (Chinese and Western) and line breaks."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        candidate = text[start:end]
        if match.group().startswith(".") and _ends_with_abbreviation(text[start : match.start()]):
            continue
        sentences.append(candidate.strip())
        start = end
    sentences.append(text[start:].strip())
    return [s for s in sentences if is_speakable(s)]


def split_text(text: str, max_weight: int = MAX_PIECE_WEIGHT) -> list[Piece]:
    """Sentences, each cut further at clause punctuation (then spaces) when too long."""
    pieces: list[Piece] = []
    for sentence in split_sentences(text):
        parts = _cut(sentence, max_weight)
        for i, part in enumerate(parts):
            pieces.append(Piece(part, ends_sentence=i == len(parts) - 1))
    return pieces


def _ends_with_abbreviation(before_dot: str) -> bool:
    word = re.split(r"\s", before_dot.rstrip())[-1].lower() if before_dot.strip() else ""
    # A lone capital letter is an initial ("J. R. R. Tolkien"), not a sentence.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _cut(sentence: str, max_weight: int) -> list[str]:
    if weight(sentence) <= max_weight:
        return [sentence]
    clauses = [c for c in _split_keep(sentence, _CLAUSE_END) if c.strip()]
    if len(clauses) == 1:
        return _cut_hard(sentence, max_weight)
    return [p for part in _pack(clauses, max_weight) for p in _cut_hard(part, max_weight) if is_speakable(p)]


def _pack(pieces: list[str], max_weight: int) -> list[str]:
    """Join consecutive pieces greedily into parts of at most max_weight (a heavier piece stands alone)."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        if current and weight(current + piece) > max_weight:
            out.append(current.strip())
            current = ""
        current += piece
    if current.strip():
        out.append(current.strip())
    return out


def _cut_hard(text: str, max_weight: int) -> list[str]:
    """Last resort for a run-on clause: cut at spaces, or anywhere for unspaced Chinese."""
    tokens: list[str] = []
    for token in re.findall(r"\S+\s*", text):
        # Chinese has no spaces, so a heavy token is cut between characters.
        tokens.extend(list(token) if weight(token) > max_weight else [token])
    return _pack(tokens, max_weight)


def _split_keep(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Split after each match of pattern, keeping the separator with the left part."""
    parts: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    parts.append(text[start:])
    return parts
