"""`heygem eval --devset`: the self-reenactment evaluation over a development set of real clips.

A development set is a folder with clips and a LIST.tsv (columns file, speaker, language, ...).
Every clip is evaluated as `heygem eval` does one; the summary averages each speaker's clips
first, so a speaker with several clips counts once, then over speakers and per language.
With `held_out`, the mouthbank row of each clip uses the general mouth model trained without that
clip's speaker (`training/train_mouth_model.py --held-out DIR`), so no clip is scored by a model
that heard it.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..config import Settings
from ..errors import InputError
from . import metrics
from .run import METHODS, Row, evaluate_clip


@dataclass(frozen=True)
class Entry:
    file: str
    speaker: str
    language: str


def read_list(devset: Path) -> list[Entry]:
    listing = devset / "LIST.tsv"
    if not listing.is_file():
        raise InputError(f"not a development set (no LIST.tsv): {devset}")
    with open(listing, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    missing = [name for name in ("file", "speaker", "language") if rows and name not in rows[0]]
    if not rows or missing:
        raise InputError(f"{listing} needs the columns file, speaker, language and at least one row")
    return [Entry(r["file"], r["speaker"], r["language"]) for r in rows]


def methods_for(entry: Entry, held_out: Path | None) -> dict:
    if held_out is None:
        return METHODS
    weights = held_out / f"{entry.speaker}.npz"
    if not weights.is_file():
        raise InputError(f"no held-out model for speaker {entry.speaker}: {weights}")
    return {**METHODS, "mouthbank": replace(METHODS["mouthbank"], mouth_weights=str(weights))}


def evaluate_devset(devset: Path, work: Path, settings: Settings, held_out: Path | None = None,
                    only: list[str] | None = None, report=print, noise_db: float | None = None,
                    judge=None) -> tuple[list[Entry], list[Row]]:
    entries = [e for e in read_list(devset) if not only or e.file in only]
    rows = []
    for entry in entries:
        report(f"evaluating {entry.file} ({entry.speaker}, {entry.language}) ...")
        rows += evaluate_clip(devset / entry.file, work, settings, methods_for(entry, held_out), noise_db, judge)
    return entries, rows


def _mean(scores: list[metrics.Scores]) -> metrics.Scores:
    values = {k: float(np.nanmean([asdict(s)[k] for s in scores])) for k in asdict(scores[0])}
    values["av_offset"] = int(round(values["av_offset"]))
    return metrics.Scores(**values)


def summary_rows(entries: list[Entry], rows: list[Row]) -> list[Row]:
    """Per method: mean over speakers, then one row per language (mean over its speakers)."""
    by_clip = {Path(e.file).stem: e for e in entries}
    out = []
    groups = [("mean", None)] + [(lang, lang) for lang in sorted({e.language for e in entries})]
    for label, language in groups:
        for method in dict.fromkeys(r.method for r in rows):
            speakers: dict[str, list[metrics.Scores]] = {}
            for r in rows:
                entry = by_clip[r.clip]
                if r.method == method and language in (None, entry.language):
                    speakers.setdefault(entry.speaker, []).append(r.scores)
            if speakers:
                out.append(Row(f"{label} ({len(speakers)})", method, _mean([_mean(s) for s in speakers.values()])))
    return out
