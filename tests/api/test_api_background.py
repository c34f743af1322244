"""Background choices through the REST API and /easy/submit (real server, test engine)."""

from __future__ import annotations

import io
import shutil
import zipfile

import av
import cv2
import numpy as np
from mediafactory import speechlike, write_audio, write_video


def upload(path, name=None):
    return (name or path.name, path.read_bytes(), "application/octet-stream")


def alpha_frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        decoder = av.CodecContext.create("libvpx-vp9", "r")  # FFmpeg's own VP9 decoder drops alpha
        return [f.to_ndarray(format="rgba") for p in container.demux(video=0) for f in decoder.decode(p)]


def test_transparent_batch_downloads_webm_with_alpha_singly_and_zipped(server, tmp_path):
    audio = write_audio(tmp_path / "news.wav", speechlike(0.4))
    templates = [write_video(tmp_path / f"{name}.mp4", 10) for name in ("anna", "ben")]
    files = [("templates", upload(t)) for t in templates] + [("audio", upload(audio))]
    r = server.client.post("/api/v1/batches", files=files, data={"engine": "test-mark", "background": "transparent"})
    assert r.status_code == 202, r.text
    batch = r.json()
    assert {j["options"]["background"] for j in batch["jobs"]} == {"transparent"}
    done = [server.wait_done(j["id"]) for j in batch["jobs"]]
    assert all(j["status"] == "succeeded" for j in done), done

    one = server.client.get(done[0]["result_url"])
    assert one.headers["content-type"] == "video/webm" and ".webm" in one.headers["content-disposition"]
    frames = alpha_frames(one.content)
    assert len(frames) == 10 and frames[0].shape[2] == 4
    archive = server.client.get(batch["zip_url"])
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert sorted(z.namelist()) == ["anna + news.webm", "ben + news.webm"]
    server.client.delete(f"/api/v1/jobs/{done[0]['id']}")
    assert not list(server.settings.outputs_dir.glob(f"{done[0]['id']}.*"))


def test_background_image_upload_and_bad_values(server, tiny_media, tmp_path):
    video, audio = tiny_media
    files = {"template": upload(video), "audio": upload(audio)}

    def post(extra_files=None, **form):
        return server.client.post("/api/v1/jobs", files={**files, **(extra_files or {})},
                                  data={"engine": "test-mark", **form})

    for value, message in (("purple", "unknown background"), ("/etc/hosts", "unknown background"),
                           ("image", "background_image")):
        r = post(background=value)
        assert r.status_code == 400 and message in r.json()["detail"], r.text
    fake = tmp_path / "sky.png"
    fake.write_bytes(b"no picture here" * 10)
    r = post({"background_image": upload(fake)})
    assert r.status_code == 415 and "sky.png" in r.json()["detail"], r.text
    assert not list((server.settings.data_dir / "uploads").glob("*"))  # nothing was kept

    picture = tmp_path / "sky.jpg"
    cv2.imwrite(str(picture), np.full((30, 90, 3), (255, 128, 0), np.uint8))
    r = post({"background_image": upload(picture)}, background="image")
    assert r.status_code == 202, r.text
    assert r.json()["options"]["background"] == "image"  # never the server path
    assert server.wait_done(r.json()["id"])["status"] == "succeeded"
    assert len(list((server.settings.data_dir / "uploads").glob("*.jpg"))) == 1


def test_easy_submit_takes_a_background_field(easy_server, tiny_media):
    folder = easy_server.settings.data_dir / "media"
    folder.mkdir(parents=True, exist_ok=True)
    video, audio = (shutil.copy(p, folder / p.name) for p in tiny_media)
    body = {"audio_url": str(audio), "video_url": str(video), "code": "bg-1", "background": "#2040FF"}
    assert easy_server.client.post("/easy/submit", json=body).json()["code"] == 10000
    assert easy_server.client.get("/api/v1/jobs/bg-1").json()["options"]["background"] == "#2040ff"
    bad = easy_server.client.post("/easy/submit", json={**body, "code": "bg-2", "background": "sunset"}).json()
    assert bad["code"] == 10002 and "unknown background 'sunset'" in bad["msg"]
