"""HeyGem.ai-compatible routes against a real server: a HeyGem.ai script's calls, unchanged."""

from __future__ import annotations

import functools
import http.server
import logging
import shutil
import threading
import time
import uuid

import pytest
from mediafactory import speechlike, write_audio


def files_in(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def media_dir(server):
    folder = server.settings.data_dir / "media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def heygem_submit(server, audio_url, video_url, code, **extra):
    """What HeyGem.ai's documented client sends."""
    body = {"audio_url": audio_url, "video_url": video_url, "code": code, "chaofen": 0, "watermark_switch": 0,
            "pn": 1, **extra}
    r = server.client.post("/easy/submit", json=body)
    assert r.status_code == 200  # HeyGem.ai answers 200 and puts the outcome in "code"
    return r.json()


def heygem_query(server, code):
    r = server.client.get("/easy/query", params={"code": code})
    assert r.status_code == 200
    return r.json()


def poll(server, code, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        answer = heygem_query(server, code)
        if answer["data"].get("status") in (2, 3) or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


@pytest.fixture
def media(easy_server, tiny_media):
    """The tiny template and speech inside the server's default media root (<data>/media/clips/)."""
    folder = media_dir(easy_server) / "clips"
    folder.mkdir()
    video, audio = tiny_media
    return shutil.copy(video, folder / "template.mp4"), shutil.copy(audio, folder / "speech.wav")


def test_submit_and_query_like_a_heygem_script(easy_server, media):
    _, audio = media
    code = str(uuid.uuid4())
    # A path relative to the media root, and an absolute one inside it.
    answer = heygem_submit(easy_server, str(audio), "clips/template.mp4", code)
    assert answer == {"code": 10000, "data": {"code": code}, "msg": "success", "success": True}
    # A second task while the first may still run is queued, not refused with 10001 (busy);
    # an integer code, as scripts using timestamps send, works too.
    second = heygem_submit(easy_server, "clips/speech.wav", "clips/template.mp4", 1700000000123)
    assert second["code"] == 10000 and second["data"]["code"] == "1700000000123"

    early = heygem_query(easy_server, code)
    assert early["code"] == 10000 and early["success"] is True
    assert early["data"]["status"] in (1, 2) and 0 <= early["data"]["progress"] <= 100

    done = poll(easy_server, code)
    data = done["data"]
    assert data["status"] == 2, done
    assert data["code"] == code and data["progress"] == 100
    assert data["result"] == f"/{code}.mp4"  # like HeyGem.ai: a name inside its output folder
    assert (easy_server.settings.outputs_dir / data["result"].lstrip("/")).stat().st_size > 1000
    video_bytes = easy_server.client.get(data["result_url"])
    assert video_bytes.status_code == 200 and video_bytes.headers["content-type"] == "video/mp4"
    assert poll(easy_server, "1700000000123")["data"]["status"] == 2
    # The same job through the REST API.
    assert easy_server.client.get(f"/api/v1/jobs/{code}").json()["status"] == "succeeded"


def test_failed_and_canceled_tasks_report_status_3(easy_server, media):
    code = "to-cancel"
    assert heygem_submit(easy_server, "clips/speech.wav", "clips/template.mp4", code)["code"] == 10000
    easy_server.client.post(f"/api/v1/jobs/{code}/cancel")
    data = poll(easy_server, code)["data"]
    assert data["status"] in (2, 3)  # it may have finished before the cancel arrived
    if data["status"] == 3:
        assert data["result"] == "" and data["msg"]


@pytest.mark.parametrize("trick", [
    "../outside.wav",
    "clips/../../outside.wav",
    "{outside}",            # an absolute path to a real file outside every media root
    "clips/link.wav",       # a symlink inside the root pointing out of it
    "/etc/passwd",
    "clips/missing.wav",
])
def test_paths_outside_media_roots_are_refused(easy_server, media, tmp_path, trick):
    outside = write_audio(tmp_path / "outside.wav", speechlike(1.0))
    (media_dir(easy_server) / "clips" / "link.wav").symlink_to(outside)
    answer = heygem_submit(easy_server, trick.format(outside=outside), "clips/template.mp4", "trick")
    assert answer["code"] == 10002 and answer["success"] is False
    assert any(words in answer["msg"] for words in ("outside the media folders", "must not contain '..'",
                                                     "not found in the media folders")), answer["msg"]
    assert heygem_query(easy_server, "trick")["code"] == 10004  # no task was made
    assert files_in(easy_server.settings.uploads_dir) == []


def test_configured_media_roots(make_easy_server, tiny_media, tmp_path, monkeypatch):
    video, audio = tiny_media
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    shutil.copy(video, second / "anchor.mp4")
    shutil.copy(audio, first / "news.wav")
    monkeypatch.setenv("HEYGEM_MEDIA_ROOTS", f"{first}:{second}")
    server = make_easy_server()
    # Relative paths are looked up in each root in turn.
    assert heygem_submit(server, "news.wav", "anchor.mp4", "two-roots")["code"] == 10000
    assert poll(server, "two-roots")["data"]["status"] == 2
    # The default root is not allowed once roots are configured.
    default = media_dir(server)
    shutil.copy(audio, default / "news.wav")
    refused = heygem_submit(server, str(default / "news.wav"), "anchor.mp4", "default-root")
    assert refused["code"] == 10002 and "outside the media folders" in refused["msg"]


@pytest.fixture
def web(tmp_path):
    """A plain HTTP file server on 127.0.0.1 (the URLs a HeyGem.ai script may send)."""
    root = tmp_path / "web"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_http_urls_are_downloaded(make_easy_server, tiny_media, web, monkeypatch):
    monkeypatch.delenv("HEYGEM_MEDIA_ROOTS", raising=False)
    easy_server = make_easy_server(allow_private_urls=True)  # the test's web server is on loopback
    root, base = web
    video, audio = tiny_media
    shutil.copy(video, root / "anchor.mp4")
    shutil.copy(audio, root / "news.wav")
    answer = heygem_submit(easy_server, f"{base}/news.wav", f"{base}/anchor.mp4?v=1", "from-web")
    assert answer["code"] == 10000, answer
    assert poll(easy_server, "from-web")["data"]["status"] == 2
    job = easy_server.client.get("/api/v1/jobs/from-web").json()
    assert (job["inputs"]["video_name"], job["inputs"]["audio_name"]) == ("anchor.mp4", "news.wav")
    assert files_in(easy_server.settings.data_dir / "incoming") == []


def test_bad_urls_are_refused_and_leave_nothing(make_easy_server, tiny_media, web, tmp_path):
    root, base = web
    video, _ = tiny_media
    shutil.copy(video, root / "anchor.mp4")
    big = write_audio(tmp_path / "long.wav", speechlike(4.0))  # 128 kB
    shutil.copy(big, root / "long.wav")
    (root / "fake.wav").write_bytes(b"<html>not audio</html>" * 40)
    server = make_easy_server(max_audio_bytes=100_000, allow_private_urls=True)
    cases = {
        f"{base}/missing.wav": "cannot download audio_url",
        f"{base}/long.wav": "too big",
        f"{base}/fake.wav": "is not a usable audio file",
        "ftp://127.0.0.1/news.wav": "path or an http(s) URL",
        "file:///etc/passwd": "path or an http(s) URL",
        "http://127.0.0.1:1/news.wav": "cannot download",
    }
    for url, words in cases.items():
        answer = heygem_submit(server, url, f"{base}/anchor.mp4", "bad-url")
        assert answer["code"] == 10002 and words in answer["msg"], (url, answer)
    assert files_in(server.settings.uploads_dir) == []
    assert files_in(server.settings.data_dir / "incoming") == []


def test_bad_parameters_answer_10002_and_unknown_tasks_10004(easy_server, media, caplog):
    client = easy_server.client
    missing = client.post("/easy/submit", json={"video_url": "clips/template.mp4", "code": "x"}).json()
    assert missing["code"] == 10002 and "audio_url" in missing["msg"] and missing["success"] is False
    broken = client.post("/easy/submit", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 200 and broken.json()["code"] == 10002
    assert heygem_submit(easy_server, "clips/speech.wav", "clips/template.mp4", "a/b")["code"] == 10002
    assert heygem_submit(easy_server, "clips/speech.wav", "clips/template.mp4", "")["code"] == 10002
    wrong_kind = heygem_submit(easy_server, "clips/speech.wav", "clips/speech.wav", "audio-as-video")
    assert wrong_kind["code"] == 10002 and "no video stream" in wrong_kind["msg"]

    caplog.set_level(logging.INFO, logger="heygem")
    first = heygem_submit(easy_server, "clips/speech.wav", "clips/template.mp4", "once", chaofen=1,
                          watermark_switch=1, digital_auth=0)
    assert first["code"] == 10000
    assert "chaofen=1 is not supported" in caplog.text and "watermark_switch=1 is not supported" in caplog.text
    again = heygem_submit(easy_server, "clips/speech.wav", "clips/template.mp4", "once")
    assert again["code"] == 10002 and "already used" in again["msg"]

    assert client.get("/easy/query").json()["code"] == 10002
    assert heygem_query(easy_server, "no-such-task") == {
        "code": 10004, "data": {}, "msg": "no job with id 'no-such-task'", "success": False}
    poll(easy_server, "once")
