"""Fixtures for the web UI: tiny media and a real, started job service on a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from mediafactory import speechlike, write_audio, write_video

from heygem.config import Settings
from heygem.service import JobService


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", device="cpu")


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    """Two 10-frame templates, two short speech clips, and files the UI must refuse."""
    src = tmp_path / "inputs"
    src.mkdir()
    bad = src / "notes.txt"
    bad.write_text("not media")
    corrupt = src / "broken.mp4"
    corrupt.write_bytes(b"\x00not a video" * 100)
    return {
        "video": write_video(src / "anchor.mp4", 10),
        "video2": write_video(src / "studio.mp4", 6, size=(48, 32)),
        "video3": write_video(src / "extra.mp4", 4),
        "audio": write_audio(src / "news.wav", speechlike(0.4)),
        "audio2": write_audio(src / "weather.mp3", speechlike(0.6, seed=2)),
        "text": bad,
        "corrupt": corrupt,
    }


@pytest.fixture
def service(settings: Settings):
    service = JobService(settings, device="cpu")
    service.start()
    yield service
    service.close()


@pytest.fixture
def idle_service(settings: Settings):
    """Not started: jobs stay queued (for paging and listing tests)."""
    service = JobService(settings, device="cpu")
    yield service
    service.close()
