"""What a synthesiser knows about its speech, kept beside the speech file for later stages: when
each sentence is said (subtitles) and when each phoneme is (the mouth). Speech files are named by
their content, so a file's sidecars always describe that very audio."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ..media.checks import written_whole
from .types import Speech

log = logging.getLogger("heygem.tts")

KINDS = ("phrases", "phonemes")
"""(start_s, end_s, text) of each sentence; (start_s, end_s, IPA) of each phoneme. The job service
deletes them with their speech file."""


def sidecar_path(audio: str | os.PathLike[str], kind: str) -> Path:
    audio = Path(audio)
    return audio.with_name(f"{audio.name}.{kind}.json")


def synthesised(audio: str | os.PathLike[str]) -> bool:
    """Whether `audio` is speech HeyGem synthesised: the synthesiser left its timings beside it."""
    return any(sidecar_path(audio, kind).is_file() for kind in KINDS)


def save(audio: str | os.PathLike[str], kind: str, rows: Iterable[tuple[float, float, str]] | None) -> None:
    """Keep rows of (start_s, end_s, text) beside `audio` (nothing when there are none)."""
    if not rows:
        return
    with written_whole(sidecar_path(audio, kind)) as part:
        part.write_text(json.dumps([[s, e, t] for s, e, t in rows], ensure_ascii=False), encoding="utf-8")


def save_timings(speech: Speech, audio: str | os.PathLike[str]) -> None:
    """Everything the synthesiser reported about `speech`, beside its file `audio`."""
    save(audio, "phrases", speech.phrases)
    save(audio, "phonemes", speech.phonemes)


def load(audio: str | os.PathLike[str], kind: str) -> list[tuple[float, float, str]] | None:
    """The rows saved beside `audio`, else None (also when the file is unreadable: a warning, and
    the caller works from the audio alone)."""
    path = sidecar_path(audio, kind)
    if not path.is_file():
        return None
    try:
        return [(float(s), float(e), str(t)) for s, e, t in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignoring unreadable %s timings %s: %s", kind, path.name, exc)
        return None
