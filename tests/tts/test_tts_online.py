"""The online engine's plumbing, with a stand-in for the edge-tts package (tests have no network)."""

from __future__ import annotations

import io
import sys
import types

import av
import numpy as np
import pytest

from heygem.errors import EngineUnavailable
from heygem.tts import synthesize
from heygem.tts.voices import ONLINE_ENV


def _mp3(seconds: float, rate: int = 24_000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        for start in range(0, len(tone), 1152):
            frame = av.AudioFrame.from_ndarray(tone[None, start : start + 1152], format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@pytest.fixture
def fake_edge(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Installs a fake `edge_tts` that returns 1 s of tone and records each request."""
    calls: list[tuple[str, str, str]] = []
    audio = _mp3(1.0)

    class Communicate:
        def __init__(self, text: str, voice: str, rate: str = "+0%") -> None:
            calls.append((text, voice, rate))

        async def stream(self):  # type: ignore[no-untyped-def]
            yield {"type": "WordBoundary", "offset": 0, "duration": 1, "text": "x"}
            for start in range(0, len(audio), 4096):
                yield {"type": "audio", "data": audio[start : start + 4096]}

    monkeypatch.setitem(sys.modules, "edge_tts", types.SimpleNamespace(Communicate=Communicate))
    monkeypatch.setattr("heygem.tts.online.find_spec", lambda name: object())
    monkeypatch.setenv(ONLINE_ENV, "1")
    return calls


def test_online_voice_decodes_the_service_audio(fake_edge: list[tuple[str, str, str]]) -> None:
    speech = synthesize("你好。再见！", "zh-xiaoxiao-online", speed=1.25)
    assert fake_edge == [("你好。", "zh-CN-XiaoxiaoNeural", "+25%"), ("再见!", "zh-CN-XiaoxiaoNeural", "+25%")]
    assert speech.sample_rate == 24_000 and speech.phonemes is None
    assert 2.0 <= speech.duration <= 3.0  # two 1 s tones (MP3 pads a little) plus pauses
    assert float(np.sqrt(np.mean(speech.samples**2))) > 0.1


def test_online_failure_is_an_engine_error(monkeypatch: pytest.MonkeyPatch, fake_edge: list) -> None:
    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        async def stream(self):  # type: ignore[no-untyped-def]
            raise OSError("network is unreachable")
            yield  # pragma: no cover

    monkeypatch.setitem(sys.modules, "edge_tts", types.SimpleNamespace(Communicate=Broken))
    with pytest.raises(EngineUnavailable, match="en-aria-online.*network is unreachable"):
        synthesize("Hello.", "en-aria-online")
