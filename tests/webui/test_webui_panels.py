"""What the page shows: input previews, progress panels, history rows, the system panel."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from heygem.errors import InputError
from heygem.service import JobStatus
from heygem.webui import actions, panels, uploads


def test_preview_names_duration_resolution_and_fps(settings, media):
    assert uploads.describe(media["video"], "video", settings).startswith("anchor.mp4: 0.4 s · 64×48 · 25 fps")
    assert uploads.describe(media["audio2"], "audio", settings).startswith("weather.mp3: 0.6 s")


def test_preview_of_a_corrupt_file_is_a_message_not_a_traceback(settings, media):
    with pytest.raises(InputError, match=r"cannot read file broken\.mp4"):
        uploads.describe(media["corrupt"], "video", settings)


def test_every_accepted_format_is_accepted_and_others_refused(settings, tmp_path):
    for suffix in uploads.VIDEO_TYPES + uploads.AUDIO_TYPES:
        path = tmp_path / f"x{suffix.upper()}"  # upper case too: phones write .MP4
        path.write_bytes(b"1")
        kind = "video" if suffix in uploads.VIDEO_TYPES else "audio"
        assert uploads.check(path, kind, settings) == path
    for name in ("clip.gif", "clip", "speech.wav.exe"):
        (tmp_path / name).write_bytes(b"1")
        with pytest.raises(InputError, match="unsupported"):
            uploads.check(tmp_path / name, "video", settings)


def test_progress_panel_says_which_job_runs_and_escapes_names(idle_service, settings, media):
    jobs = actions.submit_batch(idle_service, settings, actions.ONE_TEMPLATE, str(media["video"]),
                                [str(media["audio"]), str(media["audio2"])], "loop")
    running = dataclasses.replace(jobs[1], status=JobStatus.RUNNING, progress=0.5, stage="rendering 5/10",
                                  name="<b>evil</b>")
    html = panels.jobs_progress([jobs[0], running])
    assert "正在处理 processing &lt;b&gt;evil&lt;/b&gt; (2/2)" in html
    assert "<b>evil</b>" not in html
    assert "width:50%" in html and "rendering 5/10" in html
    done = [dataclasses.replace(j, status=JobStatus.SUCCEEDED, progress=1.0) for j in jobs]
    assert "全部结束 all finished: 2/2" in panels.jobs_progress(done)
    assert "no jobs yet" in panels.jobs_progress([])
    failed = dataclasses.replace(jobs[0], status=JobStatus.FAILED, error="no face in <video>")
    assert "失败 failed · no face in &lt;video&gt;" in panels.jobs_progress([failed])


def test_history_rows_and_labels(idle_service, settings, media):
    for _ in range(12):
        actions.submit_single(idle_service, settings, str(media["video"]), str(media["audio"]), engine="loop")
    page = actions.history_page(idle_service, 1)
    rows = panels.history_rows(page)
    assert len(rows) == 2 and len(rows[0]) == len(panels.HISTORY_HEADERS)
    assert rows[0][1] == "anchor + news" and rows[0][2] == "排队中 queued"
    assert panels.page_label(page) == "共 12 个任务 12 jobs · 第 2/2 页 page 2/2"


def test_system_panel(idle_service, settings):
    text = panels.system_markdown(actions.snapshot(idle_service, settings))
    assert "**设备 Device**: `cpu`" in text
    assert "**队列 Queue**: 0" in text
    assert "**正在运行 Running**: 无 none" in text
    assert "GiB 可用 free" in text


def test_workers_table_in_distributed_mode():
    from heygem.service import WorkerInfo

    busy = WorkerInfo("heygem-12@gpu1", "gpu1", "cuda:0", ("gpu", "cpu"), 1, ("j1",), 0.0, 995.0)
    gone = WorkerInfo("heygem-7@cpu2", "cpu2", "cpu", ("cpu",), 2, (), 0.0, 800.0)
    text = panels.workers_markdown([busy, gone], {"j1": "anchor + <news>"}, now=1000.0)
    lines = text.splitlines()
    assert lines[0] == "**工作进程 Workers**: 2"
    assert lines[4] == "| heygem-12@gpu1 | gpu1 | `cuda:0` | gpu,cpu (1) | anchor + &lt;news&gt; | 5 s 前 ago |"
    assert lines[5] == "| heygem-7@cpu2 | cpu2 | `cpu` | cpu (2) | 空闲 idle | 200 s 前 ago ⚠ 失联 lost |"
    assert "start `heygem worker`" in panels.workers_markdown([], {})


def test_help_and_importing_the_ui_package_do_not_import_gradio():
    code = ("import sys, heygem.webui\nfrom heygem.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nassert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_build_ui_makes_the_tabs(service, settings):
    pytest.importorskip("gradio", reason="the web UI's optional dependency gradio is not installed")
    from heygem.webui import build_ui

    demo = build_ui(service, settings)
    labels = {getattr(block, "label", None) for block in demo.blocks.values()}
    assert {"单个 Single", "批量 Batch", "历史 History", "系统 System"} <= labels
