"""`heygem serve`: one process, one port for the UI and both APIs; loopback by default; a warning when exposed."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from heygem.cli import main


@pytest.fixture
def fake_uvicorn(monkeypatch):
    """Record what `heygem serve` would run instead of serving."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.delenv("HEYGEM_API_TOKEN", raising=False)
    monkeypatch.delenv("HEYGEM_HOST", raising=False)
    monkeypatch.delenv("HEYGEM_PORT", raising=False)
    return calls


def test_binds_loopback_by_default(fake_uvicorn, tmp_path, caplog):
    assert main(["--data-dir", str(tmp_path / "d"), "serve", "--no-ui", "--device", "cpu"]) == 0
    app, kw = fake_uvicorn[0]
    assert (kw["host"], kw["port"]) == ("127.0.0.1", 7860)
    assert {"/api/v1/jobs", "/easy/submit"} <= set(app.openapi()["paths"])
    assert "without an access token" not in caplog.text


def test_exposing_without_a_token_warns(fake_uvicorn, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="heygem")
    main(["--data-dir", str(tmp_path / "d"), "serve", "--host", "0.0.0.0", "--port", "8123", "--no-ui"])
    assert fake_uvicorn[-1][1]["host"] == "0.0.0.0" and fake_uvicorn[-1][1]["port"] == 8123
    assert "listening on 0.0.0.0 without an access token" in caplog.text
    caplog.clear()
    monkeypatch.setenv("HEYGEM_API_TOKEN", "t")
    main(["--data-dir", str(tmp_path / "d"), "serve", "--host", "0.0.0.0", "--no-ui"])
    assert "without an access token" not in caplog.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_process_answers_ui_and_api_on_one_port(tmp_path):
    port = free_port()
    env = {**os.environ, "HEYGEM_DATA_DIR": str(tmp_path / "data"), "HEYGEM_API_TOKEN": "tok",
           "HEYGEM_DEVICE": "cpu"}
    env.pop("GRADIO_ANALYTICS_ENABLED", None)  # serve must switch analytics off itself
    command = [sys.executable, "-c", "from heygem.cli import entry; entry()", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        deadline = time.monotonic() + 90
        while True:
            try:
                health = client.get("/api/v1/health", headers={"Authorization": "Bearer tok"})
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert health.status_code == 200
        assert client.get("/easy/query", params={"code": "x"}).status_code == 401
        assert client.get("/easy/query", params={"code": "x", "token": "tok"}).json()["code"] == 10004
        ui_installed = importlib.util.find_spec("gradio") is not None
        page = client.get("/", params={"token": "tok"}, follow_redirects=True)
        if ui_installed:
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        else:
            assert page.status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert f"HeyGem on http://127.0.0.1:{port}/" in output
