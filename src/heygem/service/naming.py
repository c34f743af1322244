"""The one rule for naming results outside the server: downloads, zip members, `heygem batch` files.

A result is named after its job's label (`Job.name`, by default "<template> + <audio>", e.g.
"anchor + news"), made safe on Windows, macOS and Linux, with the output's real extension:
"anchor + news.mp4" (".webm" for a transparent background). Subtitles travel beside their video
under the same stem: "anchor + news.srt". Within one batch, zip or folder a repeated stem gets
" (2)", " (3)", ... in the order the jobs were made, compared without case (Windows and macOS
file systems ignore it): "anchor + news.mp4", "anchor + news (2).mp4".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from .jobs import Job, JobStatus

MAX_STEM_BYTES = 150
"""Room left under the usual 255-byte file name limit for " (n)", the extension and part-file marks."""
FALLBACK = "video"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
"""Characters Windows refuses in names (and / everywhere); control characters."""
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?", re.IGNORECASE)
"""Windows device names, refused as a file name even with an extension ("nul.mp4")."""


def safe_stem(label: str) -> str:
    """`label` as a file name stem: unsafe characters become "_", runs of white space one space,
    no leading or trailing dots or spaces, not a Windows device name, at most MAX_STEM_BYTES."""
    stem = " ".join(unicodedata.normalize("NFC", label).split())  # tabs and new lines too
    stem = _UNSAFE.sub("_", stem)
    stem = stem.encode()[:MAX_STEM_BYTES].decode(errors="ignore")  # cut on a character boundary
    stem = stem.strip(" .")
    if _RESERVED.fullmatch(stem):
        stem = f"{stem}_"
    return stem or FALLBACK


def result_name(job: Job, suffix: str) -> str:
    """The download name of one result of `job` on its own: its video's or subtitles' suffix."""
    return safe_stem(job.name) + suffix


def unique(stem: str, taken: set[str]) -> str:
    """`stem`, or "`stem` (n)" with the smallest n >= 2 not in `taken` (casefolded); adds it there."""
    candidate, n = stem, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n})"
    taken.add(candidate.casefold())
    return candidate


def result_stems(jobs: Iterable[Job], taken: Collection[str] = ()) -> dict[str, str]:
    """{job id: stem} for these jobs, unique among them and not in `taken` (e.g. the names already
    in a folder); repeats are numbered in the order the jobs were made, whatever order they come in."""
    seen = {name.casefold() for name in taken}
    ordered = sorted(jobs, key=lambda job: (job.created_at, job.id))
    return {job.id: unique(safe_stem(job.name), seen) for job in ordered}


def result_files(jobs: Iterable[Job], locate: Callable[[Path | None], Path | None] | None = None
                 ) -> list[tuple[str, Path]]:
    """[(file name, path)] of these jobs' finished videos, each followed by its subtitles, in the
    order the jobs were made: what a zip of them holds.

    `locate(path)` returns the file to send, or None to leave it out (default: the path when it is
    a file). Jobs without a finished video are left out and do not take a name.
    """
    find = locate or (lambda path: path if path is not None and path.is_file() else None)
    finished = [job for job in jobs if job.status is JobStatus.SUCCEEDED and find(job.output) is not None]
    stems = result_stems(finished)
    files: list[tuple[str, Path]] = []
    for job in sorted(finished, key=lambda job: (job.created_at, job.id)):
        video = find(job.output)
        files.append((stems[job.id] + video.suffix, video))
        if (subtitles := find(job.subtitles)) is not None:
            files.append((stems[job.id] + subtitles.suffix, subtitles))
    return files
