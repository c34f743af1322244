"""Where only the engine changes frames, the pipeline converts just the boxes it names: the encoder
gets the same pictures as from rendering whole frames."""

from __future__ import annotations

import os
import sys

import cv2
import numpy as np
import pytest
from testengines import AudioDrivenEngine, BoxCountingMouthBank, WholeFrameMouthBank

from heygem import pipeline
from heygem.config import Settings
from heygem.engines import registry
from heygem.media.decode import VideoSource
from heygem.media.encode import VideoWriter
from heygem.media.yuv import planes
from heygem.options import GenerateOptions

for engine in (AudioDrivenEngine, BoxCountingMouthBank, WholeFrameMouthBank):
    registry.register(engine)


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """One data folder: the template is analysed once for all cases."""
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture
def media(testmedia):
    return testmedia / "video" / "woman_glasses_en.mp4", testmedia / "audio" / "zh_bus_3s.wav"


def frames(path) -> np.ndarray:
    with VideoSource(path) as source:
        return np.stack(list(source.read()))


def encoded_pictures(monkeypatch) -> dict[str, list[np.ndarray]]:
    """Records every picture a writer is given, as its Y, U and V planes, by output file name.
    (The files themselves are not compared: x264 as bundled does not always give the same bytes for
    the same pictures when audio is muxed alongside.)"""
    jobs: dict[str, list[np.ndarray]] = {}
    write = VideoWriter.write

    def recording(writer, picture):
        jobs.setdefault(writer.path.name, []).append(np.concatenate([plane.ravel() for plane in planes(picture)]))
        write(writer, picture)

    monkeypatch.setattr(VideoWriter, "write", recording)
    return jobs


def test_boxes_of_the_decoded_pictures_render_as_whole_frames_do(tmp_path, media, settings, monkeypatch):
    """A real clip through the real pipeline: the default engine given only its boxes, and the same
    engine given whole frames, give the encoder the same pictures."""
    video, audio = media
    BoxCountingMouthBank.given.clear()
    BoxCountingMouthBank.opencv_threads.clear()
    BoxCountingMouthBank.niceness.clear()
    threads = cv2.getNumThreads()
    pictures = encoded_pictures(monkeypatch)
    boxes = pipeline.run(video, audio, tmp_path / "boxes.mp4", GenerateOptions(engine="test-mouthbank-counting"),
                         settings)
    whole = pipeline.run(video, audio, tmp_path / "whole.mp4", GenerateOptions(engine="test-mouthbank-whole"),
                         settings)
    assert boxes.frames == whole.frames > 50
    # frames whose mouth is the base frame's own (or without a face) are not even given
    assert 0 < BoxCountingMouthBank.given["boxes"] <= boxes.frames and BoxCountingMouthBank.given["whole"] == 0
    # face-sized boxes are rendered with OpenCV on one thread; its threads are back afterwards
    assert BoxCountingMouthBank.opencv_threads == {1} and cv2.getNumThreads() == threads
    # ... and behind the encoder: its thread at a lower priority, this one's untouched
    if sys.platform.startswith("linux"):
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert BoxCountingMouthBank.niceness == {min(19, own + pipeline.RENDER_NICENESS)}
    by_boxes, by_whole = pictures["boxes.mp4"], pictures["whole.mp4"]
    assert len(by_boxes) == len(by_whole) == boxes.frames
    assert all(np.array_equal(a, b) for a, b in zip(by_boxes, by_whole))
    assert not np.array_equal(frames(tmp_path / "boxes.mp4")[10:], frames(video)[10:boxes.frames])  # mouths changed


def test_a_step_that_needs_whole_frames_gets_them(tmp_path, media, settings):
    video, audio = media
    BoxCountingMouthBank.given.clear()
    BoxCountingMouthBank.opencv_threads.clear()
    BoxCountingMouthBank.niceness.clear()
    result = pipeline.run(video, audio, tmp_path / "out.mp4",
                          GenerateOptions(engine="test-mouthbank-counting", background="#2080ff"), settings)
    assert BoxCountingMouthBank.given == {"whole": result.frames}
    # whole frames keep OpenCV's threads and the render thread its priority
    assert BoxCountingMouthBank.opencv_threads == {cv2.getNumThreads()}
    assert BoxCountingMouthBank.niceness == {os.getpriority(os.PRIO_PROCESS, 0)}


def test_an_engine_that_hears_the_audio_itself_gets_no_target_mouths(tmp_path, media, settings):
    """Wav2Lip-like engines get the face analysis but no general mouth model, so no phone decoding."""
    video, audio = media
    AudioDrivenEngine.jobs.clear()
    result = pipeline.run(video, audio, tmp_path / "out.mp4", GenerateOptions(engine="test-audio-driven"), settings)
    (job,) = AudioDrivenEngine.jobs
    assert job.template is not None and job.template.has_face.any()
    assert job.plan.mouth_targets is None and job.audio.phones is None
    assert job.plan.mouth_active.any() and result.frames == job.plan.frame_count


def test_opencv_gets_its_threads_back_when_the_last_of_side_by_side_jobs_ends():
    """The service runs jobs side by side: one that ends first must not give OpenCV its threads back
    while another still streams boxes, nor may the last leave it on one thread."""
    threads = cv2.getNumThreads()
    with pipeline._opencv_on_one_thread(True):
        with pipeline._opencv_on_one_thread(True):
            assert cv2.getNumThreads() == 1
        assert cv2.getNumThreads() == 1
    assert cv2.getNumThreads() == threads
