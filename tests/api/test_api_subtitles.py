"""Subtitles over HTTP: the `subtitles`/`script` fields, the subtitle download, the batch zip, /easy."""

from __future__ import annotations

import io
import shutil
import zipfile

from mediafactory import speechlike, write_audio, write_video

SCRIPT = "大家好，欢迎收看今天的新闻。天气晴朗。"


def upload(path):
    return (path.name, path.read_bytes(), "application/octet-stream")


def test_batch_with_subtitles_downloads_and_zips_them(server, tmp_path):
    import webvtt

    audio = write_audio(tmp_path / "news.wav", speechlike(2.0))
    templates = [write_video(tmp_path / f"{name}.mp4", 25) for name in ("anna",)]
    files = [("templates", upload(t)) for t in templates] + [("audio", upload(audio))]
    r = server.client.post("/api/v1/batches", files=files,
                           data={"engine": "test-mark", "subtitles": "vtt", "script": SCRIPT})
    assert r.status_code == 202, r.text
    batch = r.json()
    for job in batch["jobs"]:
        done = server.wait_done(job["id"])
        assert done["status"] == "succeeded", done
        assert done["options"]["subtitles"] == "vtt"
        sub = server.client.get(done["subtitles_url"])
        assert sub.status_code == 200 and sub.headers["content-type"].startswith("text/vtt")
        captions = webvtt.from_string(sub.text).captions
        assert "".join(c.text.replace("\n", "") for c in captions) == SCRIPT
    archive = server.client.get(batch["zip_url"])
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert sorted(z.namelist()) == ["anna + news.mp4", "anna + news.vtt"]


def test_subtitle_requests_that_cannot_work_are_refused(server, tiny_media):
    video, audio = tiny_media
    files = {"template": upload(video), "audio": upload(audio)}
    r = server.client.post("/api/v1/jobs", files=files, data={"engine": "test-mark", "subtitles": "ass"})
    assert r.status_code in (400, 422) and "subtitles" in r.text
    # No subtitles asked for: none to download.
    job = server.client.post("/api/v1/jobs", files=files, data={"engine": "test-mark"}).json()
    assert server.wait_done(job["id"])["subtitles_url"] is None
    assert server.client.get(f"/api/v1/jobs/{job['id']}/subtitles").status_code == 409


def test_easy_submit_takes_subtitles_as_extra_fields(easy_server, tiny_media):
    folder = easy_server.settings.data_dir / "media"
    folder.mkdir(parents=True, exist_ok=True)
    video, audio = (shutil.copy(p, folder / p.name) for p in tiny_media)
    body = {"audio_url": str(audio), "video_url": str(video), "code": "sub-1", "chaofen": 0,
            "watermark_switch": 0, "pn": 1, "subtitles": "srt", "script": SCRIPT}
    assert easy_server.client.post("/easy/submit", json=body).json()["code"] == 10000
    done = easy_server.wait_done("sub-1")
    assert done["status"] == "succeeded", done
    query = easy_server.client.get("/easy/query", params={"code": "sub-1"}).json()
    assert query["data"]["subtitles_url"] == "/api/v1/jobs/sub-1/subtitles"
    assert "天气晴朗。" in easy_server.client.get(query["data"]["subtitles_url"]).text
