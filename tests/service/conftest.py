"""Fixtures for the job service: tiny media, and a service factory that always stops what it starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from mediafactory import speechlike, write_audio, write_video
from testengines import FailingEngine, MarkEngine, SlowEngine

from heygem.config import Settings
from heygem.engines import registry
from heygem.service import JobService

for engine in (MarkEngine, SlowEngine, FailingEngine):
    registry.register(engine)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    """Tiny inputs: a 10-frame 64x48 template, 0.4 s and 1 s of speech, and a second template."""
    src = tmp_path / "inputs"
    src.mkdir()
    return {
        "video": write_video(src / "anchor.mp4", 10),
        "video2": write_video(src / "studio.mp4", 6, size=(48, 32)),
        "audio": write_audio(src / "news.wav", speechlike(0.4)),
        "audio2": write_audio(src / "weather.wav", speechlike(0.4, seed=2)),
        "long_audio": write_audio(src / "long.wav", speechlike(2.0, seed=3)),
    }


@pytest.fixture
def make_service(settings: Settings):
    """make_service(device="cpu", **hooks) -> JobService (not started); all are closed after the test."""
    made: list[JobService] = []

    def make(device: str = "cpu", settings_: Settings | None = None, **hooks) -> JobService:
        service = JobService(settings_ or settings, device=device, **hooks)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()
