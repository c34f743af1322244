"""Copy a finished video to the place a job asked for (e.g. a HeyGem.ai client's folder).

The copy appears whole or not at all: it is written under a hidden temporary name in the target
folder and renamed, so a client that opens the file as soon as it exists never reads half of it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import OutputError
from ..media.checks import written_whole


def deliver(output: Path, target: Path) -> Path:
    """Put a copy of `output` at `target` (a hard link when both are on one disk); returns `target`."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with written_whole(target) as part:
            try:
                os.link(output, part)  # no second copy of the bytes on the same file system
            except OSError:
                shutil.copyfile(output, part)
    except OSError as exc:
        raise OutputError(f"cannot deliver the result to {target}: {exc.strerror or exc}") from exc
    return target
