"""Shared fixtures: tiny media made with PyAV, and the real clips beside the repo when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mediafactory import speechlike, write_audio, write_video

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TESTMEDIA = Path(os.environ.get("HEYGEM_TESTMEDIA") or SHARED / "testmedia")  # as `heygem eval` finds it
DEVSET = TESTMEDIA.parent / "devset"


@pytest.fixture(scope="session")
def testmedia() -> Path:
    """$HEYGEM_TESTMEDIA or ../shared/testmedia (real talking-head clips and speech); skips the test when absent."""
    if not (TESTMEDIA / "video").is_dir():
        pytest.skip("real test media (../shared/testmedia) not present")
    return TESTMEDIA


@pytest.fixture(scope="session")
def devset() -> Path:
    """../shared/devset (real talking-head clips of many speakers, LIST.tsv); skips when absent."""
    if not (DEVSET / "LIST.tsv").is_file():
        pytest.skip("development set (../shared/devset) not present")
    return DEVSET


@pytest.fixture
def tiny_media(tmp_path: Path) -> tuple[Path, Path]:
    """A 1 s 64x48 template (25 fps) and 2 s of speech-like audio."""
    video = write_video(tmp_path / "template.mp4", 25)
    audio = write_audio(tmp_path / "speech.wav", speechlike(2.0))
    return video, audio


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the whole run (skips when its binaries are absent)."""
    from servers import postgres_missing, start_postgres

    if why := postgres_missing():
        pytest.skip(why)
    pytest.importorskip("psycopg", reason="the PostgreSQL job store needs psycopg (pip install 'heygem[distributed]')")
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis(tmp_path_factory):
    """A real Redis server with append-only persistence for the whole run (skips when absent)."""
    from servers import Redis, redis_missing

    if why := redis_missing():
        pytest.skip(why)
    server = Redis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()
