"""Token on and off, size limits, content sniffing, path tricks: refused with 4xx, nothing left behind."""

from __future__ import annotations

import httpx
import pytest

TOKEN = "s3cret token;/"  # characters a cookie must carry safely


def files_in(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def leftovers(server):
    """Files the API or the service kept from refused requests."""
    return files_in(server.settings.uploads_dir) + files_in(server.settings.data_dir / "incoming")


def upload(path, name=None):
    return (name or path.name, path.read_bytes(), "application/octet-stream")


GUARDED = [("GET", "/api/v1/health"), ("GET", "/api/v1/jobs"), ("POST", "/api/v1/jobs"),
           ("GET", "/api/v1/jobs/abc/result"), ("POST", "/easy/submit"), ("GET", "/easy/query?code=x"),
           ("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/")]


def test_without_token_every_route_is_refused(make_server):
    server = make_server(api_token=TOKEN)
    bare = httpx.Client(base_url=server.url)
    for method, path in GUARDED:
        r = bare.request(method, path)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["www-authenticate"] == "Bearer" and "token" in r.json()["detail"]
    assert bare.get("/api/v1/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert bare.get("/api/v1/health", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert bare.get("/api/v1/health", headers={"Cookie": "heygem_token=wrong"}).status_code == 401
    ok = bare.get("/api/v1/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["status"] == "ok"


def test_browser_token_link_sets_cookie_and_drops_token_from_address(make_server):
    server = make_server(api_token=TOKEN)
    browser = httpx.Client(base_url=server.url)
    r = browser.get("/docs", params={"token": TOKEN, "lang": "zh"})
    assert r.status_code == 303
    assert r.headers["location"] == "/docs?lang=zh"  # the token is not left in the address bar
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # The cookie alone now opens pages and the API (httpx kept it, as a browser would).
    assert browser.get("/docs").status_code == 200
    assert browser.get("/api/v1/jobs").status_code == 200
    # Scripts may pass ?token= on API routes and get their answer directly.
    script = httpx.Client(base_url=server.url)
    assert script.get("/api/v1/health", params={"token": TOKEN}).status_code == 200
    assert script.get("/api/v1/health", params={"token": "nope"}).status_code == 401


def test_without_a_configured_token_everything_is_open(server):
    bare = httpx.Client(base_url=server.url)
    assert bare.get("/api/v1/health").status_code == 200
    assert bare.get("/docs").status_code == 200
    assert bare.get("/easy/query", params={"code": "x"}).json()["code"] == 10004


def test_oversize_uploads_are_refused_and_leave_nothing(make_server, tiny_media):
    video, audio = tiny_media  # about 2.5 kB of video, 64 kB of audio
    server = make_server(max_video_bytes=1_000, max_audio_bytes=200_000)
    r = server.client.post("/api/v1/jobs", files={"template": upload(video), "audio": upload(audio)})
    assert r.status_code == 413
    assert "template 'template.mp4' is too big" in r.json()["detail"]
    assert "HEYGEM_MAX_VIDEO_MB" in r.json()["detail"]
    assert leftovers(server) == []


def test_oversize_body_is_cut_off_while_streaming(make_server):
    server = make_server(max_video_bytes=1_000, max_audio_bytes=1_000)
    limit = 1_000 + 1_000 + 1024 * 1024
    body = b"--x\r\nContent-Disposition: form-data; name=\"template\"; filename=\"a.mp4\"\r\n\r\n" + b"0" * (limit + 1000)
    headers = {"content-type": "multipart/form-data; boundary=x"}
    declared = server.client.post("/api/v1/jobs", content=body, headers=headers)
    assert declared.status_code == 413 and "larger than this route accepts" in declared.json()["detail"]

    def chunks():  # no Content-Length: the server must count as it reads
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    streamed = server.client.post("/api/v1/jobs", content=chunks(), headers=headers)
    # Cut off at the part's own limit, long before the route's total.
    assert streamed.status_code == 413 and "template 'a.mp4' is too big" in streamed.json()["detail"]
    assert leftovers(server) == []
    big_json = server.client.post("/easy/submit", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                                  headers={"content-type": "application/json"})
    assert big_json.status_code == 413


@pytest.mark.parametrize("field", ["template", "audio"])
def test_files_that_are_not_media_are_refused_by_content(server, tiny_media, tmp_path, field):
    video, audio = tiny_media
    fake = tmp_path / "fake"
    fake.write_bytes(b"this is a text file, not media\n" * 50)
    files = {"template": upload(video), "audio": upload(audio)}
    files[field] = upload(fake, "clip.mp4" if field == "template" else "voice.wav")
    r = server.client.post("/api/v1/jobs", files=files)
    assert r.status_code == 415
    detail = r.json()["detail"]
    kind = "video" if field == "template" else "audio"
    assert detail.startswith(f"{field} '{'clip.mp4' if field == 'template' else 'voice.wav'}' is not a usable {kind}")
    assert str(server.settings.data_dir) not in detail  # no server path in the message
    assert leftovers(server) == []


def test_audio_only_file_as_template_and_empty_file_are_refused(server, tiny_media, tmp_path):
    video, audio = tiny_media
    r = server.client.post("/api/v1/jobs", files={"template": upload(audio, "x.mp4"), "audio": upload(audio)})
    assert r.status_code == 415 and "no video stream" in r.json()["detail"]
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    r = server.client.post("/api/v1/jobs", files={"template": upload(video), "audio": ("empty.wav", b"", "audio/wav")})
    assert r.status_code == 400
    r = server.client.post("/api/v1/jobs", files={"template": upload(video)})
    assert r.status_code == 400 and "audio file or text" in r.json()["detail"]
    assert leftovers(server) == []


def test_upload_file_names_cannot_place_files(server, tiny_media, tmp_path):
    video, audio = tiny_media
    r = server.client.post("/api/v1/jobs", files={"template": upload(video, "../../../../escaped.mp4"),
                                                  "audio": upload(audio, "..\\..\\escaped.wav")},
                           data={"engine": "test-mark"})
    assert r.status_code == 202, r.text
    assert r.json()["inputs"]["video_name"] == "escaped.mp4"
    assert r.json()["inputs"]["audio_name"] == "escaped.wav"
    assert not [p for p in tmp_path.rglob("escaped*")]
    server.wait_done(r.json()["id"])


@pytest.mark.parametrize("path", ["/api/v1/jobs/..%2F..%2Fjobs.sqlite3/result", "/api/v1/jobs/%2e%2e/result",
                                  "/api/v1/jobs/a%00b", "/api/v1/batches/..%2F..%2Fuploads/zip",
                                  "/api/v1/jobs/../../jobs.sqlite3"])
def test_ids_cannot_reach_files(server, path):
    r = server.client.get(path)
    assert r.status_code in (404, 422) and r.headers["content-type"] == "application/json", r.text


def test_output_outside_the_data_dir_is_never_served(server, tiny_media, tmp_path):
    video, audio = tiny_media
    job = server.client.post("/api/v1/jobs", files={"template": upload(video), "audio": upload(audio)},
                             data={"engine": "test-mark"}).json()
    assert server.wait_done(job["id"])["status"] == "succeeded"
    output = server.settings.outputs_dir / f"{job['id']}.mp4"
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"not for you")
    output.unlink()
    output.symlink_to(secret)  # e.g. planted by someone with access to the outputs folder
    r = server.client.get(f"/api/v1/jobs/{job['id']}/result")
    assert r.status_code == 410 and b"not for you" not in r.content


def test_cross_site_browser_requests_cannot_change_jobs(server, tiny_media):
    video, audio = tiny_media
    files = {"template": upload(video), "audio": upload(audio)}
    evil = {"Origin": "http://evil.example"}
    r = server.client.post("/api/v1/jobs", files=files, data={"engine": "test-mark"}, headers=evil)
    assert r.status_code == 403 and "evil.example" in r.json()["detail"]
    assert server.client.post("/easy/submit", json={}, headers=evil).status_code == 403
    assert server.client.post("/api/v1/jobs/x/cancel", headers={"Origin": "null"}).status_code == 403
    assert leftovers(server) == []
    # Reading is allowed (the browser keeps the answer from the other site anyway), and so is
    # the server's own pages calling it (same origin), and scripts that send no Origin.
    assert server.client.get("/api/v1/jobs", headers=evil).status_code == 200
    same = {"Origin": server.url}
    assert server.client.post("/api/v1/jobs/x/cancel", headers=same).status_code == 404
    assert server.client.post("/api/v1/jobs/x/cancel").status_code == 404
