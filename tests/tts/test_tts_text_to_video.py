"""Text -> speech -> the usual generation, on a tiny template (no face needed with `loop`)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from mediafactory import write_video

from heygem import pipeline
from heygem.config import Settings
from heygem.options import GenerateOptions
from heygem.tts import synthesize, write_wav

pytest.importorskip("espeakng_loader", reason="eSpeak NG voices not installed")


def test_mandarin_text_becomes_a_video_as_long_as_the_speech(tmp_path: Path) -> None:
    speech = synthesize("你好，欢迎使用数字人。今天是2024年。")
    audio = write_wav(speech, tmp_path / "speech.wav")
    template = write_video(tmp_path / "template.mp4", 25)
    out = tmp_path / "out.mp4"
    result = pipeline.run(template, audio, out, GenerateOptions(engine="loop"), Settings(data_dir=tmp_path / "data"))
    with av.open(str(out)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        video_s = float(video.duration * video.time_base)
        audio_s = float(sound.duration * sound.time_base)
    assert abs(result.frames - speech.duration * 25) <= 1
    assert abs(video_s - speech.duration) <= 1 / 25
    assert abs(audio_s - speech.duration) <= 1 / 25
