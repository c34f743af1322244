"""The UI's handlers against a real job service (loop engine, tiny media)."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import av
import pytest

from heygem.errors import InputError
from heygem.service import JobStatus
from heygem.webui import actions

ENGINE = "loop"  # needs no face: tiny synthetic templates render in a fraction of a second


def decoded_frames(path: Path) -> tuple[int, bool]:
    """(video frames decoded, whether there is an audio stream)."""
    with av.open(str(path)) as container:
        has_audio = bool(container.streams.audio)
        return sum(1 for _ in container.decode(video=0)), has_audio


def test_single_job_runs_to_a_playable_video(service, settings, media):
    job = actions.submit_single(service, settings, str(media["video"]), str(media["audio"]), engine=ENGINE)
    (done,) = service.wait([job.id], timeout=60)
    assert done.status is JobStatus.SUCCEEDED, done.error
    frames, has_audio = decoded_frames(done.output)
    assert frames == 10  # 0.4 s of audio at 25 fps
    assert has_audio


def test_the_speech_boxes_ask_for_alignment_and_another_voice(service, settings, media):
    """The Single and Batch tabs' boxes "align the template's sound with its picture" and "the audio
    is another person's voice"."""
    video, audio = str(media["video"]), str(media["audio"])
    default = actions.submit_single(service, settings, video, audio, engine=ENGINE).options
    assert (default.template_sync, default.speaker) == ("keep", "template")
    job = actions.submit_single(service, settings, video, audio, engine=ENGINE, align_template=True, other_speaker=True)
    (batch_job,) = actions.submit_batch(service, settings, actions.ONE_AUDIO, audio, [video], ENGINE,
                                        align_template=True, other_speaker=True)
    assert job.options.template_sync == batch_job.options.template_sync == "align"
    assert job.options.speaker == batch_job.options.speaker == "other"
    done = service.wait([job.id, batch_job.id], timeout=60)
    assert all(j.status is JobStatus.SUCCEEDED for j in done), [j.error for j in done]


def test_single_refuses_bad_inputs_with_a_message(service, settings, media):
    with pytest.raises(InputError, match="upload a template video"):
        actions.submit_single(service, settings, None, str(media["audio"]))
    with pytest.raises(InputError, match="upload an audio file or type text"):
        actions.submit_single(service, settings, str(media["video"]), None)
    with pytest.raises(InputError, match=r"unsupported video format '\.txt'.*mp4 mov avi mkv webm flv"):
        actions.submit_single(service, settings, str(media["text"]), str(media["audio"]))
    with pytest.raises(InputError, match="unsupported audio format"):
        actions.submit_single(service, settings, str(media["video"]), str(media["video"]))
    small = replace(settings, max_audio_bytes=100)
    with pytest.raises(InputError, match=r"file too big: news\.wav .* > 0 MB"):
        actions.submit_single(service, small, str(media["video"]), str(media["audio"]))
    assert service.list()[1] == 0  # nothing was queued


def test_text_instead_of_audio_is_queued_with_the_voice(idle_service, settings, media):
    job = actions.submit_single(idle_service, settings, str(media["video"]), None, text="  你好，世界  ",
                                voice="zh-espeak", engine=ENGINE)
    assert job.inputs.text == "你好，世界"
    assert job.inputs.voice == "zh-espeak"
    assert job.inputs.audio is None
    auto = actions.submit_single(idle_service, settings, str(media["video"]), None, text="hello", voice="auto")
    assert auto.inputs.voice is None  # "auto": the service picks by the text's language


def test_batch_list_adds_acceptable_files_and_removes_selected(settings, media):
    new = [str(media[k]) for k in ("video", "text", "corrupt", "video2")]
    staged, refused = actions.add_to_list([], new, "video", settings)
    assert staged == [str(media["video"]), str(media["video2"])]
    assert len(refused) == 2
    assert "unsupported video format '.txt'" in refused[0] and "cannot read file broken.mp4" in refused[1]
    staged, refused = actions.add_to_list(staged, [str(media["video"])], "video", settings)
    assert staged == [str(media["video"]), str(media["video2"])] and not refused  # no duplicates
    assert actions.remove_from_list(staged, [str(media["video"])]) == [str(media["video2"])]


def test_batch_one_audio_over_templates_and_zip(service, settings, media):
    jobs = actions.submit_batch(service, settings, actions.ONE_AUDIO, str(media["audio"]),
                                [str(media["video"]), str(media["video2"])], ENGINE)
    assert len({job.batch_id for job in jobs}) == 1
    service.wait([job.id for job in jobs], timeout=60)
    listed = actions.batch_jobs(service, jobs[0].batch_id)
    assert [job.id for job in listed] == [job.id for job in jobs]  # submission order
    assert all(job.status is JobStatus.SUCCEEDED for job in listed)

    archive = actions.zip_jobs(service, settings, [job.id for job in jobs])
    assert archive.parent == actions.exports_dir(settings)
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["anchor + news.mp4", "studio + news.mp4"]
        z.extractall(archive.parent / "x")
    for name in ("anchor + news.mp4", "studio + news.mp4"):
        frames, has_audio = decoded_frames(archive.parent / "x" / name)
        assert frames == 10 and has_audio


def test_batch_many_audios_over_one_template(service, settings, media):
    jobs = actions.submit_batch(service, settings, actions.ONE_TEMPLATE, str(media["video"]),
                                [str(media["audio"]), str(media["audio2"])], ENGINE)
    done = service.wait([job.id for job in jobs], timeout=60)
    assert [job.status for job in done] == [JobStatus.SUCCEEDED] * 2
    assert [job.name for job in done] == ["anchor + news", "anchor + weather"]
    assert decoded_frames(done[1].output)[0] == 15  # 0.6 s


def test_batch_refuses_empty_list_and_wrong_kind(service, settings, media):
    with pytest.raises(InputError, match="list is empty"):
        actions.submit_batch(service, settings, actions.ONE_AUDIO, str(media["audio"]), [])
    with pytest.raises(InputError, match="upload the audio first"):
        actions.submit_batch(service, settings, actions.ONE_AUDIO, None, [str(media["video"])])
    with pytest.raises(InputError, match="unsupported audio format"):
        actions.submit_batch(service, settings, actions.ONE_TEMPLATE, str(media["video"]), [str(media["video2"])])


def test_named_output_is_a_link_not_a_copy(service, settings, media):
    job = actions.submit_single(service, settings, str(media["video"]), str(media["audio"]), engine=ENGINE)
    assert actions.named_output(settings, job) is None  # not finished yet
    (done,) = service.wait([job.id], timeout=60)
    link = actions.named_output(settings, done)
    assert link == actions.exports_dir(settings) / "videos" / done.id / "anchor + news.mp4"
    assert link.stat().st_ino == done.output.stat().st_ino
    assert actions.named_output(settings, done) == link  # asking again reuses it


def test_zip_without_finished_videos_says_so(idle_service, settings, media):
    job = actions.submit_single(idle_service, settings, str(media["video"]), str(media["audio"]), engine=ENGINE)
    with pytest.raises(InputError, match="no finished videos"):
        actions.zip_jobs(idle_service, settings, [job.id, "no-such-job"])


def test_history_pages_newest_first_and_clamps(idle_service, settings, media):
    ids = [actions.submit_single(idle_service, settings, str(media["video"]), str(media["audio"]),
                                 engine=ENGINE).id for _ in range(23)]
    first = actions.history_page(idle_service, 0)
    assert (first.index, first.pages, first.total) == (0, 3, 23)
    assert [job.id for job in first.jobs] == ids[::-1][:10]
    last = actions.history_page(idle_service, 2)
    assert [job.id for job in last.jobs] == ids[::-1][20:]
    assert actions.history_page(idle_service, 99).index == 2
    assert actions.history_page(idle_service, -1).index == 0
    assert sorted(actions.all_job_ids(idle_service)) == sorted(ids)


def test_delete_removes_jobs_and_their_videos(service, settings, media):
    jobs = actions.submit_batch(service, settings, actions.ONE_AUDIO, str(media["audio"]),
                                [str(media["video"]), str(media["video2"])], ENGINE)
    done = service.wait([job.id for job in jobs], timeout=60)
    assert all(job.output.is_file() for job in done)
    links = [actions.named_output(settings, job) for job in done]
    assert [link.name for link in links] == ["anchor + news.mp4", "studio + news.mp4"]
    assert actions.delete_jobs(service, settings, [done[0].id, "no-such-job"]) == 1
    assert not done[0].output.exists()
    assert not links[0].exists() and links[1].is_file()  # the deleted job's download name went with it
    assert [job.id for job in actions.history_page(service, 0).jobs] == [done[1].id]
    assert actions.get_job(service, done[0].id) is None


def test_engine_choices_are_the_available_engines(settings):
    from heygem.engines import registry

    choices, default = actions.engine_choices(settings)
    names = [value for _, value in choices]
    assert names == [s.name for s in registry.status(settings) if s.available]
    assert ENGINE in names and default in names


def test_snapshot_reports_device_queue_and_disk(idle_service, settings, media):
    actions.submit_single(idle_service, settings, str(media["video"]), str(media["audio"]), engine=ENGINE)
    snap = actions.snapshot(idle_service, settings)
    assert snap.system.device == "cpu" and snap.system.queued == 1
    assert 0 < snap.disk_free <= snap.disk_total
    assert (ENGINE, True, None) in snap.engines
