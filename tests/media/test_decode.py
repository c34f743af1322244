from fractions import Fraction

import av
import numpy as np
import pytest
from mediafactory import moving_frames, speechlike, write_audio, write_video

from heygem.errors import InputError
from heygem.media.decode import VideoSource, load_audio, load_soundtrack, probe_audio, probe_video
from heygem.motion.timeline import ping_pong

VIDEO_FORMATS = [
    ("clip.mp4", "libx264"),
    ("clip.mov", "libx264"),
    ("clip.mkv", "libx265"),
    ("clip.webm", "libvpx-vp9"),
    ("clip.avi", "mpeg4"),
    ("clip.flv", "libx264"),
]


def grey_levels(frames):
    return [int(np.median(f)) for f in frames]


@pytest.mark.parametrize("name,codec", VIDEO_FORMATS)
def test_video_formats_round_trip(tmp_path, name, codec):
    frames = moving_frames(30, 64, 48)
    path = write_video(tmp_path / name, frames, codec=codec)
    with VideoSource(path) as source:
        info = source.info
        decoded = list(source.read())
    assert (info.width, info.height, info.fps, info.frame_count) == (64, 48, 25, 30)
    assert len(decoded) == 30 and decoded[0].shape == (48, 64, 3) and decoded[0].dtype == np.uint8
    # each frame is the one written (grey level identifies it; lossy codecs stay within a few levels)
    assert np.allclose(grey_levels(decoded), grey_levels(frames), atol=4)


@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg"])
def test_audio_formats_round_trip(tmp_path, suffix):
    samples = speechlike(1.5, 16000)
    path = write_audio(tmp_path / f"speech{suffix}", samples)
    loaded = load_audio(path, 16000)
    # codec padding only (AAC's 1024 priming samples at 16 kHz are 64 ms)
    assert abs(len(loaded) - len(samples)) < 0.11 * 16000
    assert probe_audio(path).duration == pytest.approx(1.5, abs=0.11)
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    assert rms(loaded) == pytest.approx(rms(samples), rel=0.2)


def test_audio_of_a_video_file_and_resampling(tmp_path):
    path = write_video(tmp_path / "talk.mp4", 25, audio=speechlike(1.0, 44100), audio_rate=44100)
    assert len(load_audio(path, 16000)) == pytest.approx(16000, abs=1200)


@pytest.mark.parametrize("video_start", [0, 5])
def test_soundtrack_starts_with_the_first_frame(tmp_path, video_start):
    # A file whose picture starts 0.2 s after its sound: the sound of the first frame is the
    # sound at 0.2 s, which is what learning a person's mouth from their own voice needs.
    click = np.zeros(16000, np.float32)
    click[8000:8160] = 0.8  # at 0.5 s
    path = write_video(tmp_path / "late.mp4", 25, audio=click, video_start=video_start)
    samples = load_soundtrack(path, 16000)
    first_loud = np.flatnonzero(np.abs(samples) > 0.4)[0] / 16000
    assert first_loud == pytest.approx(0.5 - video_start / 25, abs=0.003)


def test_variable_frame_rate_is_resampled_to_constant(tmp_path):
    path = tmp_path / "vfr.mp4"
    frames = moving_frames(20, 64, 48)
    # 20 frames over 1 s with irregular spacing: 10 at 30 ms, 10 at 70 ms
    times_ms = np.cumsum([0] + [30] * 10 + [70] * 9)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=20)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for img, ms in zip(frames, times_ms):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = int(ms), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with VideoSource(path) as source:
        fps = float(source.info.fps)
        decoded = list(source.read())
    assert len(decoded) == source.info.frame_count == int(round(times_ms[-1] / 1000 * fps)) + 1
    # output frame i shows the source frame on screen at (i + 0.5) / fps
    expected = [int(np.searchsorted(times_ms, (i + 0.5) / fps * 1000, side="right") - 1) for i in range(len(decoded))]
    assert np.allclose(grey_levels(decoded), [grey_levels(frames)[k] for k in expected], atol=4)


def test_rotation_metadata_is_applied(tmp_path):
    img = np.zeros((48, 64, 3), np.uint8)
    img[:8, :16] = 255  # bright block in the top-left corner of the stored frame
    path = write_video(tmp_path / "rotated.mp4", [img] * 5, rotation=-90)
    with VideoSource(path) as source:
        assert (source.info.width, source.info.height, source.info.rotation) == (48, 64, 270)
        frame = next(source.read())
    # the display matrix rotates 90 degrees clockwise: the block moves to the top-right corner
    assert frame.shape == (64, 48, 3)
    assert frame[:16, -8:].mean() > 200 and frame[-16:, :8].mean() < 50


def test_large_input_is_scaled_to_1080p_and_odd_sizes_made_even(tmp_path):
    big = write_video(tmp_path / "big.mp4", moving_frames(3, 2000, 1200))
    odd = write_video(tmp_path / "odd.mkv", moving_frames(3, 65, 49), codec="ffv1")
    info = probe_video(big)
    assert (info.width, info.height) == (1800, 1080)
    assert next(VideoSource(big).read()).shape == (1080, 1800, 3)
    assert (probe_video(odd).width, probe_video(odd).height) == (64, 48)


def test_read_indices_plays_backwards(tmp_path):
    frames = moving_frames(40, 64, 48)
    with VideoSource(write_video(tmp_path / "t.mp4", frames)) as source:
        order = np.r_[np.arange(40), np.arange(38, -1, -1), np.arange(1, 5)]
        decoded = list(source.read_indices(order, chunk=7))
    assert np.allclose(grey_levels(decoded), [grey_levels(frames)[i] for i in order], atol=4)


def test_a_looped_template_that_fits_in_memory_is_decoded_once(tmp_path):
    frames = moving_frames(20, 64, 48)
    with VideoSource(write_video(tmp_path / "t.mp4", frames)) as source:
        order = np.r_[np.arange(20), np.arange(19, -1, -1), np.arange(20), np.arange(19, 9, -1)]
        decoded = list(source.read_decoded(order))
        rgb = [source.to_rgb(picture) for picture in decoded]
    assert np.allclose(grey_levels(rgb), [grey_levels(frames)[i] for i in order], atol=4)
    first = {}
    for i, picture in zip(order, decoded):  # a frame shown again is the picture decoded the first time
        assert first.setdefault(int(i), picture) is picture


def test_a_looped_template_longer_than_the_budget_turns_back_on_the_frames_it_holds(tmp_path):
    frames = moving_frames(40, 64, 48)
    order = ping_pong(40, 400)  # forward, backward, ... as a long output loops a template
    with VideoSource(write_video(tmp_path / "t.mp4", frames)) as source:
        decoded = []
        from_keyframe = source._decode_from

        def counted(index):
            for item in from_keyframe(index):
                decoded.append(item[0])
                yield item

        source._decode_from = counted
        rgb = [source.to_rgb(picture) for picture in source.read_decoded(order, chunk=24)]
    assert np.allclose(grey_levels(rgb), [grey_levels(frames)[i] for i in order], atol=4)
    # Each turn shows the 24 frames it holds again and decodes the rest once: about one decode per
    # template frame per loop of 78 frames shown (216 here), where decoding every backward chunk
    # from the keyframe took twice that (480).
    assert len(decoded) <= 40 + len(order) * 40 / 78


def test_bad_inputs_name_the_file_and_problem(tmp_path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"this is not a video" * 100)
    audio_only = write_audio(tmp_path / "speech.wav", speechlike(1.0))
    silent_video = write_video(tmp_path / "silent.mp4", 10)
    quiet = write_audio(tmp_path / "quiet.wav", np.zeros(16000, np.float32))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    cases = [
        (lambda: probe_video(tmp_path / "missing.mp4"), "not found"),
        (lambda: probe_video(tmp_path), "directory"),
        (lambda: probe_video(garbage), "cannot read video"),
        (lambda: probe_video(audio_only), "no video stream"),
        (lambda: load_audio(silent_video), "no audio stream"),
        (lambda: load_audio(quiet), "silent"),
        (lambda: load_audio(empty), "empty"),
    ]
    for call, words in cases:
        with pytest.raises(InputError, match=words) as err:
            call()
        assert str(tmp_path) in str(err.value)
