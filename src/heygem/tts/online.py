"""Online engine: Microsoft Edge's read-aloud voices through the `edge-tts` package.

Natural Mandarin, but the text leaves the machine, so these voices are offered only when
HEYGEM_TTS_ONLINE=1 (see voices.py). No phoneme timings: the service reports words only.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from importlib.util import find_spec
from typing import TYPE_CHECKING

from ..errors import EngineUnavailable
from .types import Speech, Voice

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 24_000
"""The service sends 24 kHz mono MP3."""


def missing(voice: Voice | None = None) -> str | None:
    """What to install when this engine cannot run here, else None."""
    return None if find_spec("edge_tts") else "pip install edge-tts"


def speak(text: str, voice: Voice, speed: float = 1.0) -> Speech:
    """One piece of normalised text -> speech, fetched from the service."""
    try:
        import edge_tts
    except ImportError as exc:
        raise EngineUnavailable(f"voice {voice.name!r} needs the edge-tts package: pip install edge-tts") from exc

    async def fetch() -> bytes:
        rate = f"{round((speed - 1.0) * 100):+d}%"
        communicate = edge_tts.Communicate(text, voice.engine_voice, rate=rate)
        audio = bytearray()
        async for chunk in communicate.stream():
            if chunk.get("type") == "audio":
                audio += chunk["data"]
        return bytes(audio)

    # A worker thread gets its own event loop, so this also works when the caller is async.
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            mp3 = pool.submit(asyncio.run, fetch()).result()
        except Exception as exc:  # network, service and protocol errors all mean the same here
            raise EngineUnavailable(f"online voice {voice.name!r} failed: {exc}") from exc
    if not mp3:
        raise EngineUnavailable(f"online voice {voice.name!r} returned no audio for {text[:60]!r}")
    return Speech(_decode_mp3(mp3), SAMPLE_RATE, None, voice.name)


def _decode_mp3(data: bytes) -> np.ndarray:
    """MP3 bytes -> float32 mono samples at SAMPLE_RATE (in memory; no temp file)."""
    import av
    import numpy as np

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    out: list[np.ndarray] = []
    with av.open(io.BytesIO(data), mode="r", format="mp3") as container:
        for frame in container.decode(audio=0):
            out.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
    out.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)
