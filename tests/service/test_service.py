"""The service end to end on tiny real media with the real pipeline (loop and test engines)."""

import logging
import threading
from pathlib import Path

import av
import pytest
from mediafactory import speechlike, write_audio
from polling import wait_for

from heygem import selftest
from heygem.errors import EngineUnavailable, InputError
from heygem.media.decode import probe_audio
from heygem.options import GenerateOptions
from heygem.service import JobNotFound, JobStateError, JobStatus
from heygem.subtitles.timing import load_phrases
from heygem.tts import sidecars

LOOP = GenerateOptions(engine="loop", device="cpu")


def slow(delay: float = 0.1, batch: int = 1) -> GenerateOptions:
    return GenerateOptions(engine="test-slow", device="cpu", batch_size=batch, engine_options=(("delay", str(delay)),))


def frames(path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_a_job_runs_to_a_complete_output(make_service, media, settings):
    service = make_service()
    service.start()
    job = service.submit(media["video"], media["audio"], LOOP, name="hello")
    assert job.status is JobStatus.QUEUED and job.name == "hello" and job.inputs.video_name == "anchor.mp4"
    done = service.wait([job.id], timeout=30)[0]
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.output == settings.outputs_dir.resolve() / f"{job.id}.mp4"
    assert frames(done.output) == 10  # 0.4 s at 25 fps
    assert done.progress == 1.0 and done.attempts == 1 and done.device == "cpu"
    assert done.started_at >= done.created_at and done.finished_at >= done.started_at


def test_inputs_are_content_addressed_copies(make_service, media, settings):
    service = make_service()
    jobs = service.submit_batch(media["audio"], [media["video"], media["video"], media["video2"]], options=LOOP)
    uploads = sorted(p.name for p in settings.uploads_dir.iterdir())
    assert len(uploads) == 3  # two templates and one audio, each stored once
    assert jobs[0].inputs.video == jobs[1].inputs.video != jobs[2].inputs.video
    assert jobs[0].inputs.video.name.endswith(".mp4") and len(jobs[0].inputs.video.stem) == 64
    for original in media.values():
        original.unlink()  # the user cleans up right after submitting
    service.start()
    done = service.wait([j.id for j in jobs], timeout=30)
    assert [j.status for j in done] == [JobStatus.SUCCEEDED] * 3, [j.error for j in done]


def test_submit_rejects_what_is_cheap_to_check(make_service, media, tmp_path):
    service = make_service()
    with pytest.raises(InputError, match="video file not found"):
        service.submit(tmp_path / "missing.mp4", media["audio"], LOOP)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="audio file is empty"):
        service.submit(media["video"], empty, LOOP)
    with pytest.raises(InputError, match="audio file or text"):
        service.submit(media["video"], None, LOOP)
    with pytest.raises(EngineUnavailable, match="unknown engine"):
        service.submit(media["video"], media["audio"], GenerateOptions(engine="nonesuch"))
    with pytest.raises(InputError, match="job id"):
        service.submit(media["video"], media["audio"], LOOP, job_id="../escape")
    small = make_service(settings_=service.settings.with_overrides(max_video_bytes=100))
    with pytest.raises(InputError, match="too big"):
        small.submit(media["video"], media["audio"], LOOP)
    assert service.list()[1] == 0


def test_bad_inputs_fail_their_job_and_the_queue_goes_on(make_service, media, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    service = make_service()
    bad_video = service.submit(corrupt, media["audio"], LOOP)
    lost_audio = service.submit(media["video"], media["audio2"], LOOP)
    lost_audio.inputs.audio.unlink()  # its stored copy vanishes before it runs
    engine_bug = service.submit(media["video"], media["audio"], GenerateOptions(engine="test-fail", device="cpu"))
    good = service.submit(media["video"], media["audio"], LOOP)
    service.start()
    results = {j.id: j for j in service.wait([bad_video.id, lost_audio.id, engine_bug.id, good.id], timeout=30)}
    assert results[bad_video.id].status is JobStatus.FAILED
    assert "cannot read video file" in results[bad_video.id].error
    assert results[lost_audio.id].status is JobStatus.FAILED
    assert "audio file not found" in results[lost_audio.id].error
    assert results[engine_bug.id].error == "RuntimeError: engine exploded on purpose"
    assert results[good.id].status is JobStatus.SUCCEEDED
    assert all(results[i].output is None for i in (bad_video.id, lost_audio.id, engine_bug.id))


def test_cancel_queued_and_running(make_service, media, settings):
    service = make_service()
    queued = service.submit(media["video"], media["audio"], LOOP)
    assert service.cancel(queued.id).status is JobStatus.CANCELED
    running = service.submit(media["video"], media["long_audio"], slow(0.1))  # 50 batches, 5 s
    progressed = threading.Event()
    rendered = []  # a "rendering n/50" event per frame batch encoded

    def follow(event):
        if event.job.id == running.id and event.job.stage.startswith("rendering"):
            rendered.append(event.job.stage)
            if event.job.progress > 0.1:
                progressed.set()

    service.subscribe(follow)
    service.start()
    assert progressed.wait(20)
    assert service.cancel(running.id).status is JobStatus.RUNNING
    asked = len(rendered)
    final = service.wait([running.id], timeout=10)[0]
    assert final.status is JobStatus.CANCELED and final.output is None
    assert len(rendered) - asked <= 1 < 50 - asked  # at the next frame batch, not after the rest
    assert service.get(queued.id).status is JobStatus.CANCELED  # never ran
    assert service.get(queued.id).started_at is None
    assert list(settings.outputs_dir.iterdir()) == []  # no half file left behind


def test_cancel_while_the_engine_prepares(make_service, settings, tmp_path, caplog):
    """The mouthbank engine builds its mouth bank (a pass over the template) in prepare(): a cancel
    asked then ends the job at the build's next check, leaving no bank and no output."""
    video, audio = selftest.make_media(tmp_path)  # a face the default engine can work on
    service = make_service()
    building, asked = threading.Event(), threading.Event()

    def follow(event):  # holds the worker at the build's first report until the cancel is asked
        if event.kind == "progress" and event.job.stage.startswith("building the mouth bank"):
            building.set()
            asked.wait(10)

    service.subscribe(follow)
    service.start()
    job = service.submit(video, audio, GenerateOptions(device="cpu"))
    assert building.wait(60)
    service.cancel(job.id)
    asked.set()
    with caplog.at_level(logging.INFO, "heygem.service"):
        final = service.wait([job.id], timeout=30)[0]
    assert final.status is JobStatus.CANCELED and final.output is None
    assert "canceled while building the mouth bank, at frame 0 of 50" in caplog.text  # the first check
    templates = [p.name for p in settings.templates_dir.rglob("*")]
    assert not [name for name in templates if "mouthbank" in name]  # neither bank nor partial file
    assert list(settings.outputs_dir.iterdir()) == []


def test_retry_failed_and_canceled_but_not_succeeded(make_service, media, tmp_path):
    service = make_service()
    audio = write_audio(tmp_path / "later.wav", speechlike(0.4, seed=9))
    job = service.submit(media["video"], audio, LOOP)
    job.inputs.audio.unlink()
    service.start()
    failed = service.wait([job.id], timeout=30)[0]
    assert failed.status is JobStatus.FAILED and failed.attempts == 1
    service.submit(media["video"], audio, LOOP)  # puts the stored copy back
    again = service.retry(job.id)
    assert again.status is JobStatus.QUEUED and again.error is None and again.attempts == 0
    done = service.wait([job.id], timeout=30)[0]
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1
    with pytest.raises(JobStateError):
        service.retry(job.id)
    with pytest.raises(JobNotFound):
        service.retry("nope")


def test_delete_removes_job_and_output(make_service, media):
    service = make_service()
    events = []
    service.subscribe(lambda e: events.append((e.kind, e.job.id)))
    service.start()
    job = service.submit(media["video"], media["audio"], LOOP)
    output = service.wait([job.id], timeout=30)[0].output
    assert output.is_file()
    service.delete(job.id)
    assert not output.exists()
    with pytest.raises(JobNotFound):
        service.get(job.id)
    with pytest.raises(JobNotFound):
        service.delete(job.id)
    kinds = [k for k, i in events if i == job.id]
    assert kinds[:2] == ["submitted", "started"] and kinds[-2:] == ["finished", "deleted"]
    assert "progress" in kinds


def test_a_background_picture_copy_goes_with_the_last_job_that_uses_it(make_service, media, settings, tmp_path):
    import cv2
    import numpy as np

    picture = tmp_path / "beach.png"
    cv2.imwrite(str(picture), np.full((48, 64, 3), 200, np.uint8))
    service = make_service()  # not started: the jobs stay queued
    with pytest.raises(InputError, match="video file not found"):
        service.submit(tmp_path / "missing.mp4", media["audio"], GenerateOptions(engine="loop", background=str(picture)))
    assert not list(settings.uploads_dir.glob("*.png"))  # a refused submit leaves no copy behind
    options = GenerateOptions(engine="loop", background=str(picture))
    first, second = (service.submit(media["video"], media["audio"], options) for _ in range(2))
    copy = Path(first.options.background)
    assert copy.parent == settings.uploads_dir and copy.is_file() and second.options.background == str(copy)
    service.delete(first.id)
    assert copy.is_file()  # the second job still needs it
    service.delete(second.id)
    assert not copy.exists() and not list(settings.uploads_dir.iterdir())


def test_deleting_a_running_job_leaves_no_output(make_service, media, settings):
    service = make_service()
    service.start()
    job = service.submit(media["video"], media["long_audio"], slow(0.05))
    wait_for(lambda: service.get(job.id).progress > 0.1)
    service.delete(job.id)
    wait_for(lambda: not service._dispatcher.running_here())
    assert list(settings.outputs_dir.iterdir()) == []


def test_list_batches_both_ways_and_find(make_service, media):
    service = make_service()
    one_audio = service.submit_batch(media["audio"], [media["video"], media["video2"]], options=LOOP)
    one_video = service.submit_batch(audios=[media["audio"], media["audio2"], media["long_audio"]],
                                     video=media["video"], options=LOOP)
    assert len({j.batch_id for j in one_audio}) == 1 and len({j.batch_id for j in one_video}) == 1
    assert [j.name for j in one_video] == ["anchor + news", "anchor + weather", "anchor + long"]
    page, total = service.list(limit=2)
    assert total == 5 and [j.id for j in page] == [one_video[2].id, one_video[1].id]
    page, total = service.list(batch_id=one_audio[0].batch_id)
    assert total == 2 and {j.inputs.video_name for j in page} == {"anchor.mp4", "studio.mp4"}
    assert service.list(status="queued")[1] == 5 and service.list(status=["failed", "running"])[1] == 0
    assert service.find(one_audio[0].id[:10]).id == one_audio[0].id
    with pytest.raises(InputError, match="a batch is"):
        service.submit_batch(media["audio"], audios=[media["audio"]], video=media["video"])
    info = service.system()
    assert info.device == "cpu" and info.queued == 5 and info.running == () and info.slots == {"cpu": 1}
    assert info.counts["queued"] == 5 and info.disk[0] > 0 and info.disk[1] >= info.disk[0]


def test_caller_chosen_id(make_service, media):
    service = make_service()
    job = service.submit(media["video"], media["audio"], LOOP, job_id="task-0001")
    assert service.get("task-0001").id == job.id
    with pytest.raises(JobStateError, match="already exists"):
        service.submit(media["video"], media["audio"], LOOP, job_id="task-0001")


def test_text_jobs_speak_with_the_builtin_voice(make_service, media):
    """The real TTS path: the worker synthesises the text offline, keeps the speech as the job's
    audio (with its sentence and phoneme timings, for subtitles and the mouth), and the video is exactly as long as the speech."""
    service = make_service()
    service.start()
    job = service.submit(media["video"], text="Hello there. This is the news.", voice="en-espeak", options=LOOP)
    assert job.inputs.audio is None and job.name == "anchor + text"
    done = service.wait([job.id], timeout=60)[0]
    assert done.status is JobStatus.SUCCEEDED, done.error
    speech = done.inputs.audio
    assert speech.parent == service.settings.uploads_dir and speech.suffix == ".wav"
    assert [phrase.text for phrase in load_phrases(speech)] == ["Hello there.", "This is the news."]
    assert [label for _, _, label in sidecars.load(speech, "phonemes")][:4] == ["h", "ə", "l", "oʊ"]
    timings = [sidecars.sidecar_path(speech, kind) for kind in sidecars.KINDS]
    spoken = probe_audio(speech).duration
    assert spoken > 1.0
    with av.open(str(done.output)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert abs(video.frames / 25 - spoken) <= 1 / 25
        assert abs(float(audio.duration * audio.time_base) - spoken) <= 1 / 25
    service.delete(job.id)  # the speech goes with its job, and the text in its timings with it
    assert not speech.exists() and not any(path.exists() for path in timings)


def test_text_the_voice_cannot_speak_fails_its_job_and_the_queue_goes_on(make_service, media, settings):
    service = make_service()
    service.start()
    bad = service.submit(media["video"], text="!!!", voice="en-espeak", options=LOOP)
    good = service.submit(media["video"], media["audio"], LOOP)
    done = {j.id: j for j in service.wait([bad.id, good.id], timeout=30)}
    assert done[bad.id].status is JobStatus.FAILED and "nothing to pronounce" in done[bad.id].error
    assert done[good.id].status is JobStatus.SUCCEEDED
    assert not [p for p in settings.uploads_dir.iterdir() if p.name.startswith(".")]  # no half speech file


def test_stop_puts_the_running_job_back_without_counting_it(make_service, media, settings):
    first = make_service()
    first.start()
    job = first.submit(media["video"], media["long_audio"], slow(0.05, batch=2))
    wait_for(lambda: first.get(job.id).progress > 0.1)
    first.stop()
    stopped = first.get(job.id)
    assert stopped.status is JobStatus.QUEUED and stopped.attempts == 0
    second = make_service()
    second.start()
    done = second.wait([job.id], timeout=30)[0]
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1
    assert frames(done.output) == 50
