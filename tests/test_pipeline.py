import av
import numpy as np
import pytest
import threading

from mediafactory import moving_frames, speechlike, write_audio, write_broken_video, write_video
from testengines import FailingEngine, MarkEngine, SlowEngine, WrongSizeEngine

from heygem import pipeline
from heygem.config import Settings
from heygem.engines import registry
from heygem.errors import InputError, JobCanceled, OutputError
from heygem.media.decode import VideoSource, load_audio
from heygem.motion.timeline import ping_pong
from heygem.options import GenerateOptions

for engine in (MarkEngine, SlowEngine, FailingEngine, WrongSizeEngine):
    registry.register(engine)


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data")


def streams(path):
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        return (v.codec_context.name, v.codec_context.pix_fmt, v.frames, float(v.duration * v.time_base),
                a.codec_context.name, float(a.duration * a.time_base))


def test_output_follows_audio_length_and_loops_template(tmp_path, settings):
    frames = moving_frames(20, 64, 48)
    video = write_video(tmp_path / "t.mp4", frames)
    audio = write_audio(tmp_path / "a.wav", speechlike(2.2))
    out = tmp_path / "out.mp4"
    result = pipeline.run(video, audio, out, GenerateOptions(engine="loop"), settings)
    vcodec, pix, nframes, vdur, acodec, adur = streams(out)
    assert (vcodec, pix, acodec) == ("h264", "yuv420p", "aac")
    assert nframes == result.frames == 55  # 2.2 s at 25 fps
    assert abs(vdur - 2.2) <= 1 / 25 and abs(adur - 2.2) <= 1 / 25
    decoded = [int(np.median(f)) for f in VideoSource(out).read()]
    expected = [int(np.median(frames[i])) for i in ping_pong(20, 55)]
    assert np.allclose(decoded, expected, atol=4)


def test_audio_reaches_the_engine(tmp_path, settings):
    video = write_video(tmp_path / "t.mp4", 25)
    samples = speechlike(2.0)
    samples[:16000] = 0.0005 * np.random.default_rng(1).standard_normal(16000)  # first second near silence
    audio = write_audio(tmp_path / "a.wav", samples)
    out = tmp_path / "out.mp4"
    pipeline.run(video, audio, out, GenerateOptions(engine="test-mark"), settings)
    square = [f[:16, :16].mean() for f in VideoSource(out).read()]
    assert np.mean(square[:20]) + 40 < np.mean(square[30:])


def test_full_quality_audio_is_kept(tmp_path, settings):
    video = write_video(tmp_path / "t.mp4", 25)
    audio = write_audio(tmp_path / "a.flac", speechlike(1.0, 44100), rate=44100)
    out = tmp_path / "out.mp4"
    pipeline.run(video, audio, out, GenerateOptions(engine="loop"), settings)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.sample_rate == 44100
    original, encoded = load_audio(audio), load_audio(out)
    n = min(len(original), len(encoded))
    lag = np.argmax(np.correlate(encoded[:4000], original[:2000], "valid"))
    assert lag < 16000 / 25  # audio starts within one frame of the video
    assert np.corrcoef(original[: n - 2000], encoded[lag : lag + n - 2000])[0, 1] > 0.9


def stage_threads():
    return [t for t in threading.enumerate() if t.name.startswith("heygem-")]


@pytest.mark.parametrize("engine,error,message", [
    ("test-fail", RuntimeError, "engine exploded on purpose"),  # the render stage fails
    ("test-wrong-size", ValueError, "does not fit the 64x48"),  # the encode stage refuses a frame
])
def test_failure_leaves_no_partial_file(tmp_path, settings, engine, error, message):
    video, audio = write_video(tmp_path / "t.mp4", 25), write_audio(tmp_path / "a.wav", speechlike(1.0))
    out = tmp_path / "out" / "result.mp4"
    with pytest.raises(error, match=message):
        pipeline.run(video, audio, out, GenerateOptions(engine=engine, batch_size=4), settings)
    assert list(out.parent.iterdir()) == []
    assert stage_threads() == []


def test_a_failing_plan_stops_the_decoding_that_started_before_it(tmp_path, settings, monkeypatch):
    video, audio = write_video(tmp_path / "t.mp4", 25), write_audio(tmp_path / "a.wav", speechlike(1.0))
    decoded = []

    def plan(*args):
        for _ in range(1000):  # the decode stage runs while the plan is made
            if decoded:
                break
            threading.Event().wait(0.01)
        raise RuntimeError("the plan failed on purpose")

    real_decode = pipeline._decode
    monkeypatch.setattr(pipeline, "_decode", lambda *a: (decoded.append(b) or b for b in real_decode(*a)))
    monkeypatch.setattr(pipeline, "_motion_plan", plan)
    out = tmp_path / "out" / "result.mp4"
    with pytest.raises(RuntimeError, match="the plan failed on purpose"):
        pipeline.run(video, audio, out, GenerateOptions(engine="test-mark", batch_size=4), settings)
    assert decoded, "no frame was decoded while the plan was made"
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert stage_threads() == []


def test_decode_failure_mid_stream_stops_the_run(tmp_path, settings):
    video = write_broken_video(tmp_path / "t.mov", moving_frames(40, 64, 48), broken=30)
    audio = write_audio(tmp_path / "a.wav", speechlike(2.0))
    out = tmp_path / "out" / "result.mp4"
    seen = []
    with pytest.raises(InputError, match="cannot decode video frame 30"):
        pipeline.run(video, audio, out, GenerateOptions(engine="test-mark", batch_size=4), settings,
                     progress=lambda f, m: seen.append(f))
    assert 0 < max(seen) < 1  # frames before the broken one went through render and encode
    assert list(out.parent.iterdir()) == []
    assert stage_threads() == []


def test_cancel_stops_between_batches(tmp_path, settings):
    video, audio = write_video(tmp_path / "t.mp4", 25), write_audio(tmp_path / "a.wav", speechlike(2.0))
    calls = []
    out = tmp_path / "result.mp4"
    options = GenerateOptions(engine="test-slow", batch_size=4, engine_options=(("delay", "0"),))
    with pytest.raises(JobCanceled):
        pipeline.run(video, audio, out, options, settings, should_cancel=lambda: calls.append(1) or len(calls) > 3)
    assert len(calls) == 4  # asked once per batch, and not again after it said yes
    assert not out.exists() and not list(tmp_path.glob("*.partial*"))
    assert stage_threads() == []


def test_progress_is_reported_to_the_end(tmp_path, settings, tiny_media):
    seen = []
    pipeline.run(*tiny_media, tmp_path / "o.mp4", GenerateOptions(engine="loop", batch_size=8), settings,
                 progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(m.startswith("rendering") for _, m in seen)


def test_bad_inputs_raise_before_output(tmp_path, settings, tiny_media):
    video, audio = tiny_media
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create output folder"):
        pipeline.run(video, audio, blocker / "out.mp4", GenerateOptions(engine="loop"), settings)
    with pytest.raises(InputError, match="no audio stream"):
        pipeline.run(video, video, tmp_path / "o.mp4", GenerateOptions(engine="loop"), settings)
    assert not (tmp_path / "o.mp4").exists()


def test_each_stage_that_ran_is_timed_under_its_own_name(tmp_path, settings, tiny_media):
    plain = pipeline.run(*tiny_media, tmp_path / "o.mp4", GenerateOptions(engine="loop", batch_size=8), settings)
    # the loop engine changes nothing: its decoded pictures go to the encoder with no conversion
    assert set(plain.stage_seconds) == {"probe", "audio analysis", "motion plan", "engine prepare",
                                        "decode", "render", "encode", "finish"}
    assert all(seconds >= 0 for seconds in plain.stage_seconds.values())
    dressed = pipeline.run(*tiny_media, tmp_path / "d.mp4", GenerateOptions(
        engine="loop", background="green", subtitles="burn", script="Hello there."), settings)
    assert set(dressed.stage_seconds) - set(plain.stage_seconds) == {
        "subtitles", "person matte", "to rgb", "background", "burn subtitles", "to yuv"}
