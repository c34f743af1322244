"""`template_sync` and `speaker` over HTTP: a job asks for an out-of-sync template's soundtrack to be
aligned, and says its speech is another person's voice."""

from __future__ import annotations


def upload(path):
    return (path.name, path.read_bytes(), "application/octet-stream")


def test_a_job_can_align_its_templates_soundtrack_and_name_another_voice(server, testmedia, tiny_media):
    files = {"template": upload(testmedia / "video" / "woman_glasses_en.mp4"),
             "audio": upload(testmedia / "audio" / "zh_bus_3s.wav")}
    r = server.client.post("/api/v1/jobs", files=files, data={"template_sync": "align", "speaker": "other"})
    assert r.status_code == 202, r.text
    done = server.wait_done(r.json()["id"])
    assert done["status"] == "succeeded" and done["options"]["template_sync"] == "align"
    assert done["options"]["speaker"] == "other"
    video, audio = tiny_media
    kept = server.client.post("/api/v1/jobs", files={"template": upload(video), "audio": upload(audio)},
                              data={"engine": "test-mark"}).json()
    assert kept["options"]["template_sync"] == "keep" and kept["options"]["speaker"] == "template"  # the defaults
    bad = server.client.post("/api/v1/jobs", files={"template": upload(video), "audio": upload(audio)},
                             data={"template_sync": "later"})
    assert bad.status_code in (400, 422) and "template_sync" in bad.text
    bad = server.client.post("/api/v1/jobs", files={"template": upload(video), "audio": upload(audio)},
                             data={"speaker": "nobody"})
    assert bad.status_code in (400, 422) and "speaker" in bad.text
