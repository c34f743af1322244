"""REST API against a real server: submit, poll, download (Range), list, cancel, retry, delete, batch zip."""

from __future__ import annotations

import io
import time
import zipfile

import av
import pytest
from mediafactory import speechlike, write_audio, write_video


def upload(path, name=None, kind="application/octet-stream"):
    return (name or path.name, path.read_bytes(), kind)


def submit(server, video, audio, **form):
    files = {"template": upload(video), "audio": upload(audio)}
    return server.client.post("/api/v1/jobs", files=files, data=form)


def mp4_frames(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_submit_poll_and_download_with_range(server, tiny_media):
    video, audio = tiny_media
    r = submit(server, video, audio, name="anchor news", engine="test-mark")
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["status"] == "queued" and job["name"] == "anchor news" and job["result_url"] is None
    assert job["inputs"] == {"video_name": "template.mp4", "audio_name": "speech.wav", "text": None, "voice": None}
    assert "/" not in str(job["inputs"])  # no server path leaks into answers

    done = server.wait_done(job["id"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["device"] == "cpu"
    assert done["result_url"] == f"/api/v1/jobs/{job['id']}/result"

    whole = server.client.get(done["result_url"])
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert "anchor%20news.mp4" in whole.headers["content-disposition"]
    assert mp4_frames(whole.content) == 50  # 2 s of audio at 25 fps

    size = len(whole.content)
    part = server.client.get(done["result_url"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == whole.content[100:1100]
    tail = server.client.get(done["result_url"], headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    assert server.client.get(done["result_url"], headers={"Range": f"bytes={size + 5}-"}).status_code == 416


def test_list_filters_and_pages(server, tiny_media):
    video, audio = tiny_media
    ids = [submit(server, video, audio, engine="test-slow", batch_size="1").json()["id"] for _ in range(3)]
    page = server.client.get("/api/v1/jobs", params={"limit": 2}).json()
    assert page["total"] == 3 and [j["id"] for j in page["items"]] == ids[::-1][:2]  # newest first
    rest = server.client.get("/api/v1/jobs", params={"limit": 2, "offset": 2}).json()
    assert [j["id"] for j in rest["items"]] == ids[:1]
    for job_id in ids:
        server.client.post(f"/api/v1/jobs/{job_id}/cancel")
    for job_id in ids:
        assert server.wait_done(job_id)["status"] == "canceled"
    canceled = server.client.get("/api/v1/jobs", params=[("status", "canceled"), ("status", "failed")]).json()
    assert canceled["total"] == 3
    assert server.client.get("/api/v1/jobs", params={"status": "succeeded"}).json()["total"] == 0
    assert server.client.get("/api/v1/jobs", params={"status": "bogus"}).status_code == 422
    assert server.client.get("/api/v1/jobs", params={"limit": 0}).status_code == 422


def test_cancel_running_job_then_retry_then_delete(server, tiny_media):
    video, audio = tiny_media
    # test-slow sleeps 0.2 s per batch of 1 frame: about 10 s unless canceled.
    job = submit(server, video, audio, engine="test-slow", batch_size="1").json()
    deadline = time.monotonic() + 30
    while server.client.get(f"/api/v1/jobs/{job['id']}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert server.client.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 200
    asked = server.client.get(f"/api/v1/jobs/{job['id']}").json()["progress"]
    done = server.wait_done(job["id"])
    # Stopped at its next frame batch: its progress (0.02 per batch) moved at most one batch on.
    assert done["status"] == "canceled" and done["progress"] < asked + 0.03

    result = server.client.get(f"/api/v1/jobs/{job['id']}/result")
    assert result.status_code == 409 and "canceled" in result.json()["detail"]

    again = server.client.post(f"/api/v1/jobs/{job['id']}/retry")
    assert again.status_code == 200 and again.json()["status"] in ("queued", "running")
    conflict = server.client.post(f"/api/v1/jobs/{job['id']}/retry")
    assert conflict.status_code == 409 and conflict.json()["error"] == "JobStateError"

    assert server.client.delete(f"/api/v1/jobs/{job['id']}").status_code == 204
    for method, path in [("GET", ""), ("POST", "/cancel"), ("POST", "/retry"), ("DELETE", ""), ("GET", "/result")]:
        r = server.client.request(method, f"/api/v1/jobs/{job['id']}{path}")
        assert r.status_code == 404 and job["id"] in r.json()["detail"], (method, path)


def test_batch_of_templates_and_its_zip(server, tmp_path):
    audio = write_audio(tmp_path / "news.wav", speechlike(1.0))
    templates = [write_video(tmp_path / f"{name}.mp4", 25) for name in ("anna", "ben")]
    files = [("templates", upload(t)) for t in templates] + [("audio", upload(audio))]
    r = server.client.post("/api/v1/batches", files=files, data={"engine": "test-mark"})
    assert r.status_code == 202, r.text
    batch = r.json()
    assert len(batch["jobs"]) == 2 and {j["batch_id"] for j in batch["jobs"]} == {batch["batch_id"]}
    assert sorted(j["name"] for j in batch["jobs"]) == ["anna + news", "ben + news"]

    listed = server.client.get("/api/v1/jobs", params={"batch_id": batch["batch_id"]}).json()
    assert listed["total"] == 2
    for job in batch["jobs"]:
        assert server.wait_done(job["id"])["status"] == "succeeded"

    archive = server.client.get(batch["zip_url"])
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert sorted(z.namelist()) == ["anna + news.mp4", "ben + news.mp4"]
        assert z.testzip() is None
        assert all(mp4_frames(z.read(name)) == 25 for name in z.namelist())

    assert server.client.get(f"/api/v1/batches/{batch['batch_id']}").json()["batch_id"] == batch["batch_id"]
    assert server.client.get("/api/v1/batches/nonesuch/zip").status_code == 404


def test_reverse_batch_and_malformed_batches(server, tmp_path):
    template = write_video(tmp_path / "anna.mp4", 25)
    audios = [write_audio(tmp_path / f"take{i}.wav", speechlike(0.5, seed=i)) for i in range(2)]
    files = [("template", upload(template))] + [("audios", upload(a)) for a in audios]
    r = server.client.post("/api/v1/batches", files=files, data={"engine": "test-slow", "batch_size": "1"})
    assert r.status_code == 202, r.text
    assert sorted(j["name"] for j in r.json()["jobs"]) == ["anna + take0", "anna + take1"]
    early = server.client.get(r.json()["zip_url"])
    assert early.status_code == 409 and "finished" in early.json()["detail"]

    neither = server.client.post("/api/v1/batches", files=[("template", upload(template))])
    assert neither.status_code == 400 and "batch is" in neither.json()["detail"]
    both = server.client.post("/api/v1/batches", files=[("templates", upload(template)), ("audio", upload(audios[0]))],
                              data={"text": "hello"})
    assert both.status_code == 400 and "not both" in both.json()["detail"]


def test_health_system_and_docs(server):
    assert server.client.get("/api/v1/health").json() == {"status": "ok", "version": "0.1.0"}
    system = server.client.get("/api/v1/system").json()
    assert system["device"] == "cpu" and system["gpu_memory"] is None and system["slots"] == {"cpu": 1}
    assert set(system["counts"]) == {"queued", "running", "succeeded", "failed", "canceled"}
    assert server.client.get("/docs").status_code == 200
    assert (server.settings.data_dir / "media").is_dir()  # the default media root, made at start
    spec = server.client.get("/openapi.json").json()
    assert {"/api/v1/jobs", "/api/v1/batches", "/easy/submit", "/easy/query"} <= set(spec["paths"])


def test_text_job_speaks_with_tts(server, tiny_media):
    pytest.importorskip("espeakng_loader", reason="eSpeak NG voices not installed")
    video, _ = tiny_media
    r = server.client.post("/api/v1/jobs", files={"template": upload(video)},
                           data={"text": "Hello there, this is a test.", "voice": "en-espeak", "engine": "test-mark"})
    assert r.status_code == 202, r.text
    assert r.json()["inputs"]["text"] == "Hello there, this is a test." and r.json()["name"] == "template + text"
    done = server.wait_done(r.json()["id"])
    assert done["status"] == "succeeded", done
    assert mp4_frames(server.client.get(done["result_url"]).content) > 25
