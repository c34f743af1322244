"""A real HTTP server (uvicorn, in a thread) on 127.0.0.1 and a free port, per test."""

from __future__ import annotations

import dataclasses
import functools
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from testengines import MarkEngine, SlowEngine

from heygem.api import create_app
from heygem.config import Settings
from heygem.engines import registry
from heygem.service import JobService

registry.register(MarkEngine)
registry.register(SlowEngine)


@dataclass
class LiveServer:
    url: str
    settings: Settings
    client: httpx.Client
    server: uvicorn.Server
    thread: threading.Thread
    service: JobService | None = None
    """Set when the test made the service (the app then leaves starting and stopping it to us)."""

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(30)
        if self.service is not None:
            self.service.close()

    def wait_done(self, job_id: str, timeout: float = 60) -> dict:
        """Poll GET /jobs/{id} until the job is done (the way a client would)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.client.get(f"/api/v1/jobs/{job_id}").raise_for_status().json()
            if job["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
                return job
            time.sleep(0.1)


def mark_runner(video, audio, output, options, *rest):
    """pipeline.run with the face-free test engine, whatever engine the request chose (the
    HeyGem.ai routes always use the default engine, which needs a real face)."""
    from heygem import pipeline

    return pipeline.run(video, audio, output, dataclasses.replace(options, engine="test-mark"), *rest)


def start_server(settings: Settings, headers: dict | None = None, runner=None, ui: bool = False) -> LiveServer:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    service = None
    if runner is not None:
        service = JobService(settings, runner=runner)
        service.start()
    app = create_app(settings, service, ui=ui)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=60, headers=headers or {})
    return LiveServer(url, app.state.settings, client, server, thread, service)


@pytest.fixture(scope="session")
def face_free_runner():
    """mark_runner itself, for tests that build their own service."""
    return mark_runner


@pytest.fixture(scope="session")
def server_starter():
    """start_server itself, for module-scoped servers (test files cannot import this conftest)."""
    return start_server


@pytest.fixture
def make_server(tmp_path: Path):
    """make_server(**settings) -> a running LiveServer on its own data dir; stopped after the test."""
    servers: list[LiveServer] = []

    def make(headers: dict | None = None, runner=None, ui: bool = False, **overrides) -> LiveServer:
        settings = Settings(data_dir=tmp_path / f"data{len(servers)}", device="cpu", **overrides)
        servers.append(start_server(settings, headers, runner, ui))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server) -> LiveServer:
    return make_server()


@pytest.fixture
def make_easy_server(make_server):
    """make_server whose jobs render with the test engine (for the HeyGem.ai routes)."""
    return functools.partial(make_server, runner=mark_runner)


@pytest.fixture
def easy_server(make_easy_server, monkeypatch) -> LiveServer:
    """Media roots at their default (<data>/media); jobs render with the test engine."""
    monkeypatch.delenv("HEYGEM_MEDIA_ROOTS", raising=False)
    return make_easy_server()
