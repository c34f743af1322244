"""Speech -> 16-bit PCM WAV file, the form the rest of the pipeline reads like any audio."""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from typing import BinaryIO

from ..errors import OutputError
from ..media.checks import written_whole
from .types import Speech


def write_wav(speech: Speech, path: str | os.PathLike[str]) -> Path:
    """Write mono 16-bit WAV at the speech's own sample rate; returns the path.

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    target = Path(path)
    try:
        with written_whole(target) as part:
            _write(speech, str(part))
    except OSError as exc:
        raise OutputError(f"cannot write speech to {target}: {exc}") from exc
    return target


def wav_bytes(speech: Speech) -> bytes:
    """The same WAV file, in memory (an HTTP answer)."""
    buffer = io.BytesIO()
    _write(speech, buffer)
    return buffer.getvalue()


def _write(speech: Speech, out: str | BinaryIO) -> None:
    import numpy as np

    pcm = np.clip(np.round(speech.samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(speech.sample_rate)
        wav.writeframes(pcm.tobytes())
