"""`heygem batch` and `heygem jobs` through cli.main, on tiny media."""

import av

from heygem.cli import main
from heygem.config import Settings
from heygem.options import GenerateOptions
from heygem.service import JobService, JobStatus


def frame_count(path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_batch_one_audio_over_templates_copies_download_names(tmp_path, media, capsys):
    data, out = tmp_path / "data", tmp_path / "out"
    (out).mkdir()
    (out / "anchor + news.mp4").write_bytes(b"someone else's file")
    code = main(["--data-dir", str(data), "batch", "--audio", str(media["audio"]), "--videos", str(media["video"]),
                 str(media["video2"]), str(media["video"]), "--out", str(out), "--engine", "loop", "--device", "cpu"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    # The download names of the web UI and the API; numbered on past the file already there.
    assert sorted(p.name for p in out.iterdir()) == ["anchor + news (2).mp4", "anchor + news (3).mp4",
                                                      "anchor + news.mp4", "studio + news.mp4"]
    assert (out / "anchor + news.mp4").read_bytes() == b"someone else's file"  # never overwritten
    assert frame_count(out / "studio + news.mp4") == 10
    assert "3/3 video(s)" in printed


def test_a_result_never_overwrites_a_file_that_appeared_while_the_batch_ran(tmp_path):
    from types import SimpleNamespace

    from heygem.cli.batch import copy_results

    done = tmp_path / "done"
    done.mkdir()
    (done / "job.mp4").write_bytes(b"video")
    (done / "job.srt").write_bytes(b"captions")
    job = SimpleNamespace(output=done / "job.mp4", subtitles=done / "job.srt")
    out = tmp_path / "out"
    out.mkdir()
    (out / "anchor.mp4").write_bytes(b"made meanwhile")  # the stem "anchor" was free when the batch began
    (out / "anchor (2).srt").write_bytes(b"also someone else's")
    assert copy_results(job, "anchor", out) == out / "anchor (3).mp4"
    assert sorted(p.name for p in out.iterdir()) == ["anchor (2).srt", "anchor (3).mp4", "anchor (3).srt", "anchor.mp4"]
    assert (out / "anchor.mp4").read_bytes() == b"made meanwhile"
    assert (out / "anchor (2).srt").read_bytes() == b"also someone else's"
    assert (out / "anchor (3).srt").read_bytes() == b"captions"


def test_batch_many_audios_over_one_template_reports_failures(tmp_path, media, capsys):
    data, out = tmp_path / "data", tmp_path / "out"
    media["audio2"].write_bytes(b"not audio at all, just bytes" * 10)
    code = main(["--data-dir", str(data), "batch", "--audios", str(media["audio"]), str(media["audio2"]),
                 "--video", str(media["video"]), "--out", str(out), "--engine", "loop", "--device", "cpu"])
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["anchor + news.mp4"]
    assert "failed: anchor + weather: cannot read audio file" in captured.out + captured.err
    assert "1/2 video(s)" in captured.out


def test_batch_usage_errors_exit_2(tmp_path, media, capsys):
    code = main(["--data-dir", str(tmp_path / "d"), "batch", "--audios", str(media["audio"]),
                 "--videos", str(media["video"]), "--out", str(tmp_path / "o"), "--device", "cpu"])
    assert code == 2 and "--audios goes with --video" in capsys.readouterr().err


def test_jobs_list_show_cancel_retry_delete(tmp_path, media, capsys):
    data = tmp_path / "data"
    service = JobService(Settings(data_dir=data), device="cpu")
    jobs = service.submit_batch(media["audio"], [media["video"], media["video2"]], options=GenerateOptions(engine="loop"))
    service.close()
    base = ["--data-dir", str(data), "jobs"]

    assert main(base) == 0
    listing = capsys.readouterr().out
    assert "queued" in listing and "anchor + news" in listing and "page 1/1, 2 job(s)" in listing
    assert main(base + ["list", "--status", "succeeded"]) == 0 and "no jobs" in capsys.readouterr().out
    assert main(base + ["list", "--per-page", "1", "--page", "2"]) == 0
    assert "anchor + news" in capsys.readouterr().out  # oldest on the last page

    short = jobs[0].id[:8]
    assert main(base + ["show", short]) == 0
    shown = capsys.readouterr().out
    assert f"id:        {jobs[0].id}" in shown and "video:     anchor.mp4" in shown

    assert main(base + ["cancel", short]) == 0 and "canceled" in capsys.readouterr().out
    assert main(base + ["retry", short]) == 0 and "queued again" in capsys.readouterr().out
    assert main(base + ["delete", jobs[1].id]) == 0
    assert main(base + ["show", jobs[1].id]) == 2 and "no job with id" in capsys.readouterr().err

    assert main(base + ["run", "--device", "cpu"]) == 0
    assert "1 succeeded" in capsys.readouterr().out
    check = JobService(Settings(data_dir=data), device="cpu")
    assert check.get(jobs[0].id).status is JobStatus.SUCCEEDED
    check.close()
