"""Speech -> 16-bit PCM WAV file, the form the rest of the pipeline reads like any audio."""

from __future__ import annotations

import os
import wave
from pathlib import Path

from ..errors import OutputError
from .types import Speech


def write_wav(speech: Speech, path: str | os.PathLike[str]) -> Path:
    """Write mono 16-bit WAV at the speech's own sample rate; returns the path.

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    import numpy as np

    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    pcm = np.clip(np.round(speech.samples * 32767.0), -32768, 32767).astype("<i2")
    try:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(speech.sample_rate)
            out.writeframes(pcm.tobytes())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write speech to {target}: {exc}") from exc
    return target
