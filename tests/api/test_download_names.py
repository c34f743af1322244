"""One naming rule for every front end: the web UI's zip of a batch holds what the API's zip holds."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

from mediafactory import speechlike, write_audio, write_video

from heygem.webui import actions

SCRIPT = "大家好，欢迎收看今天的新闻。"


def upload(path):
    return (path.name, path.read_bytes(), "application/octet-stream")


def test_ui_zip_and_api_zip_of_a_batch_hold_the_same_names(make_easy_server, tmp_path):
    server = make_easy_server()
    audio = write_audio(tmp_path / "news.wav", speechlike(1.0))
    # "anna" and "Anna" are one name on Windows and macOS file systems.
    templates = [write_video(tmp_path / f"{name}.mp4", 10) for name in ("anna", "Anna", "ben")]
    files = [("templates", upload(t)) for t in templates] + [("audio", upload(audio))]
    r = server.client.post("/api/v1/batches", files=files, data={"subtitles": "srt", "script": SCRIPT})
    assert r.status_code == 202, r.text
    batch = r.json()
    ids = [job["id"] for job in batch["jobs"]]
    assert [server.wait_done(job_id)["status"] for job_id in ids] == ["succeeded"] * 3

    with zipfile.ZipFile(io.BytesIO(server.client.get(batch["zip_url"]).content)) as z:
        api_names = z.namelist()
        assert z.testzip() is None
    assert api_names == ["anna + news.mp4", "anna + news.srt", "Anna + news (2).mp4", "Anna + news (2).srt",
                         "ben + news.mp4", "ben + news.srt"]
    # The UI is asked in another order (as a history selection may be): the names do not change.
    with zipfile.ZipFile(actions.zip_jobs(server.service, server.settings, ids[::-1])) as z:
        assert z.namelist() == api_names
        assert z.testzip() is None
    # A single download is named by the same rule, in the API and in the UI.
    single = server.client.get(f"/api/v1/jobs/{ids[1]}/result")
    assert single.headers["content-disposition"] == "inline; filename*=utf-8''" + quote("Anna + news.mp4")
    assert actions.named_output(server.settings, server.service.get(ids[1])).name == "Anna + news.mp4"
