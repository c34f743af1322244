"""Template analysis and its cache, on small videos made here (no test media needed)."""

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from mediafactory import speechlike, write_audio, write_video
from testengines import MarkEngine

from heygem.analysis import template
from heygem.analysis.cache import ARRAYS, META
from heygem.analysis.mouth import MOUTH_NAMES
from heygem.config import Settings
from heygem.engines import registry
from heygem.errors import JobCanceled, NoFaceError
from heygem.media import digest
from heygem.media.decode import VideoSource
from heygem.media.digest import file_sha256
from heygem.options import GenerateOptions
from heygem.service import JobService, JobStatus


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def count_runs(monkeypatch):
    """Counts how often the face work (template.analyze) really runs."""
    runs = []
    real = template.analyze

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(template, "analyze", counted)
    return runs


def same(a, b):
    for name in template.ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_portrait_video_is_analysed_and_cached(portrait_video, settings):
    messages = []
    analysis = template.load_or_analyze(portrait_video, settings, lambda f, m: messages.append((f, m)))
    n = analysis.frame_count
    assert n == 12 and analysis.has_face.all()
    assert analysis.landmarks.shape == (n, 478, 3) and analysis.landmarks.dtype == np.float32
    assert analysis.boxes.shape == (n, 4) and analysis.pose.shape == (n, 3)
    assert analysis.mouth.shape == (n, len(MOUTH_NAMES)) and analysis.mouth_names == MOUTH_NAMES
    assert np.isfinite(analysis.mouth).all()
    # The boxes follow the drifting face (up to 8 px of drift).
    assert np.ptp(analysis.boxes[:, 0]) > 2 and np.ptp(analysis.boxes[:, 0]) < 12
    assert analysis.cache_dir == settings.templates_dir / analysis.sha256
    meta = json.loads((analysis.cache_dir / META).read_text())
    assert meta["analysis_version"] == template.ANALYSIS_VERSION
    assert meta["video"]["frame_count"] == 12 and meta["video"]["fps"] == "25"
    assert messages[-1] == (1.0, "analysing template 12/12")


def test_second_use_does_no_face_work(portrait_video, settings, count_runs):
    first = template.load_or_analyze(portrait_video, settings)
    start = time.perf_counter()
    second = template.load_or_analyze(portrait_video, settings)
    assert time.perf_counter() - start < 0.5
    assert len(count_runs) == 1
    same(first, second)
    assert second.video == first.video
    # an open VideoSource (as the pipeline passes it) hits the same entry
    with VideoSource(portrait_video) as source:
        same(template.load_or_analyze(source, settings), first)
    assert len(count_runs) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated", "meta"])
def test_damaged_cache_is_recomputed(portrait_video, settings, count_runs, damage):
    first = template.load_or_analyze(portrait_video, settings)
    arrays, meta = first.cache_dir / ARRAYS, first.cache_dir / META
    if damage == "garbage":
        arrays.write_bytes(b"not an npz at all")
    elif damage == "truncated":
        arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    else:
        meta.write_text("{")
    again = template.load_or_analyze(portrait_video, settings)
    assert len(count_runs) == 2
    same(first, again)
    template.load_or_analyze(portrait_video, settings)
    assert len(count_runs) == 2  # and the repaired entry is used again


def test_new_analysis_version_recomputes(portrait_video, settings, count_runs, monkeypatch):
    template.load_or_analyze(portrait_video, settings)
    monkeypatch.setattr(template, "ANALYSIS_VERSION", template.ANALYSIS_VERSION + 1)
    analysis = template.load_or_analyze(portrait_video, settings)
    assert len(count_runs) == 2
    assert json.loads((analysis.cache_dir / META).read_text())["analysis_version"] == template.ANALYSIS_VERSION


def test_concurrent_jobs_compute_once_and_share(portrait_video, settings, count_runs):
    results, errors = [], []

    def job():
        try:
            results.append(template.load_or_analyze(portrait_video, settings))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3
    assert len(count_runs) == 1
    for other in results[1:]:
        same(results[0], other)
    leftovers = [p.name for p in results[0].cache_dir.iterdir() if p.name.endswith(".partial")]
    assert leftovers == []


def test_cancel_stops_and_leaves_no_entry(portrait_video, settings, count_runs):
    with pytest.raises(JobCanceled):
        template.load_or_analyze(portrait_video, settings, should_cancel=lambda: True)
    entry = settings.templates_dir / file_sha256(portrait_video)
    assert not (entry / META).exists()
    assert template.load_or_analyze(portrait_video, settings).has_face.all()  # the lock was released


def test_video_without_a_face_is_a_clear_error(tmp_path, settings):
    video = write_video(tmp_path / "no_face.mp4", 10, size=(160, 120))
    with pytest.raises(NoFaceError, match=f"no face found in any of the 10 frames of the template: {video}"):
        template.load_or_analyze(video, settings)


def test_frames_without_face_are_marked(tmp_path, settings, portrait_frames):
    frames = list(portrait_frames[:8])
    blank = np.full_like(frames[0], 90)
    frames[3] = frames[4] = blank
    video = write_video(tmp_path / "gap.mp4", frames)
    analysis = template.load_or_analyze(video, settings)
    assert analysis.has_face.tolist() == [True, True, True, False, False, True, True, True]
    assert np.isnan(analysis.landmarks[3:5]).all() and np.isnan(analysis.mouth[3:5, :-1]).all()
    assert np.isfinite(analysis.landmarks[5:]).all()


def test_several_faces_follow_the_largest_most_central_with_a_warning(tmp_path, settings, portrait, caplog):
    import cv2

    canvas = np.full((720, 1280, 3), 100, np.uint8)
    canvas[60:660, 384:896] = portrait  # the large face in the middle
    canvas[20:470, 20:404] = cv2.resize(portrait, (384, 450))  # a smaller one in a corner
    video = write_video(tmp_path / "two.mp4", [canvas] * 6)
    with caplog.at_level("WARNING", logger="heygem.analysis"):
        analysis = template.load_or_analyze(video, settings)
    assert analysis.has_face.all()
    centres = (analysis.boxes[:, :2] + analysis.boxes[:, 2:]) / 2
    assert np.all(np.abs(centres[:, 0] - 640) < 60), centres
    assert "several faces are visible; following the largest, most central one" in caplog.text


def test_cancel_stops_the_decode_thread_before_returning(portrait_video, settings):
    with VideoSource(portrait_video) as source:
        with pytest.raises(JobCanceled):
            template.load_or_analyze(source, settings, should_cancel=lambda: True)
        assert not [t for t in threading.enumerate() if t.name == "heygem-decode"]
        assert len(list(source.read(0, 3))) == 3  # the source is free to use again


class FaceMarkEngine(MarkEngine):
    """The loudness-square test engine, but it asks for the template's face analysis."""

    name = "test-face-mark"
    needs_face_analysis = True


def test_jobs_on_a_stored_template_trust_its_content_name(portrait_video, settings, count_runs, monkeypatch,
                                                          tmp_path):
    # The template is read for its hash once, while it is copied into uploads/<sha256>.mp4; jobs
    # then take the hash from that name instead of reading a (maybe 500 MB) file again.
    hashed = []
    real_sha256 = digest.file_sha256
    monkeypatch.setattr(digest, "file_sha256", lambda path: hashed.append(Path(path)) or real_sha256(path))
    registry.register(FaceMarkEngine)
    audio = write_audio(tmp_path / "speech.wav", speechlike(0.4))
    service = JobService(settings, device="cpu")
    try:
        ids = [service.submit(portrait_video, audio, GenerateOptions(engine=FaceMarkEngine.name)).id for _ in range(2)]
        service.start()
        jobs = service.wait(ids, timeout=120)
    finally:
        service.close()
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED] * 2, [job.error for job in jobs]
    stored = jobs[0].inputs.video
    assert stored == jobs[1].inputs.video and stored.parent == settings.uploads_dir
    assert hashed == []  # neither job read the stored template to hash it
    assert len(count_runs) == 1  # and the second job found the first one's analysis
    assert [p.name for p in settings.templates_dir.iterdir()] == [real_sha256(portrait_video)]

    # Outside the uploads folder a name proves nothing: a file called like another hash is read.
    impostor = tmp_path / f"{'0' * 64}.mp4"
    impostor.write_bytes(stored.read_bytes())
    assert template.load_or_analyze(impostor, settings).sha256 == real_sha256(portrait_video)
    assert hashed == [impostor] and len(count_runs) == 1
