"""Background replacement: real clips through the real pipeline, and the compositing rules alone."""

from __future__ import annotations

from types import SimpleNamespace

import av
import cv2
import numpy as np
import pytest
from mediafactory import speechlike, write_audio, write_video

from heygem import pipeline
from heygem.config import Settings
from heygem.errors import InputError
from heygem.media.decode import VideoSource
from heygem.motion.timeline import ping_pong
from heygem.options import GenerateOptions
from heygem.render import background

GREEN = np.array([0, 255, 0])
TOLERANCE = 20
"""Largest per-channel error of a flat colour after x264 (crf 18, 4:2:0) next to a sharp edge."""


def decode(path, alpha=False) -> list[np.ndarray]:
    """RGB (or RGBA) frames as a player shows them; alpha needs libvpx's decoder (FFmpeg's own VP9
    decoder drops the alpha layer), ProRes 4444 decodes it natively."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if not alpha:
            return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        if stream.codec_context.name == "vp9":
            decoder = av.CodecContext.create("libvpx-vp9", "r")
            frames = [f for packet in container.demux(stream) for f in decoder.decode(packet)]
        else:
            frames = list(container.decode(stream))
        return [f.to_ndarray(format="rgba") for f in frames]


@pytest.fixture(scope="module")
def runs(testmedia, tmp_path_factory):
    """One short real template (1 s of woman_blue_en.mp4) rendered with keep, green and transparent,
    sharing one data dir: the face analysis and the matte are computed once."""
    folder = tmp_path_factory.mktemp("background")
    with av.open(str(testmedia / "video" / "woman_blue_en.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(30), c.decode(video=0))]
    template = write_video(folder / "template.mp4", frames, fps=30)
    audio = write_audio(folder / "speech.wav", speechlike(1.0))
    settings = Settings(data_dir=folder / "data")
    outputs = {}
    for name, output in (("keep", "keep.mp4"), ("green", "green.mp4"), ("transparent", "alpha.webm")):
        pipeline.run(template, audio, folder / output, GenerateOptions(background=name), settings)
        outputs[name] = folder / output
    from heygem.analysis.matte import load_or_compute
    from heygem.analysis.template import load_or_analyze

    with VideoSource(template) as source:
        analysis = load_or_analyze(source, settings)
        matte = load_or_compute(source, settings)  # from the cache the runs filled
    return SimpleNamespace(outputs=outputs, analysis=analysis, matte=matte, frames=len(frames))


def bases(runs, count):
    return ping_pong(runs.frames, count)


def far_from_person(runs, base, shape):
    """Pixels more than ~4% of the frame width away from anything the matte calls person."""
    small = runs.matte.alpha[base]
    near = cv2.resize((small > 25).astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    reach = max(3, shape[1] // 25)
    return cv2.dilate(near, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) == 0


def face_core(runs, base):
    x0, y0, x1, y1 = runs.analysis.boxes[base]
    dx, dy = (x1 - x0) / 4, (y1 - y0) / 4
    return slice(int(y0 + dy), int(y1 - dy)), slice(int(x0 + dx), int(x1 - dx))


def test_green_background_is_green_away_from_the_person_and_the_face_is_untouched(runs):
    keep, green = decode(runs.outputs["keep"]), decode(runs.outputs["green"])
    assert len(keep) == len(green) == 30  # 1 s of audio at the template's 30 fps
    green_frames, face_errors = 0, []
    for frame, kept, base in zip(green, keep, bases(runs, len(green))):
        far = far_from_person(runs, base, frame.shape)
        assert far.mean() > 0.2  # the test looks at a real share of the frame
        error = np.abs(frame[far].astype(int) - GREEN).max(axis=1)
        green_frames += np.mean(error <= TOLERANCE) >= 0.99
        rows, cols = face_core(runs, base)
        face_errors.append(np.abs(frame[rows, cols].astype(int) - kept[rows, cols]).mean())
    assert green_frames >= 0.95 * len(green)
    # Same lip-synced face; only the encoder's noise differs between the two files (measured: mean
    # 1.6-1.9 grey levels per frame, from x264 spending its bits differently on the new background).
    # A face touched by the step (tinted or faded edges) differs by tens.
    assert max(face_errors) < 3.0, face_errors


def test_matte_is_cached_small_beside_the_face_analysis(runs):
    import json

    from heygem.analysis.matte import MATTE_VERSION

    folder = runs.analysis.cache_dir
    assert json.loads((folder / "matte.json").read_text())["analysis_version"] == MATTE_VERSION
    assert (folder / "meta.json").exists()  # the face analysis entry is untouched beside it
    assert (folder / "matte.npz").stat().st_size < 8 * 1024 * runs.frames  # a few KiB per frame
    assert runs.matte.alpha.dtype == np.uint8 and max(runs.matte.alpha.shape[1:]) == 256


def test_time_smoothing_steadies_a_jittering_edge():
    from heygem.analysis.matte import smooth_in_time

    raw = np.zeros((40, 64, 64), np.uint8)
    for i in range(40):
        raw[i, :, : 30 + (2 if i % 2 else -2)] = 255  # the edge jumps 4 px every frame
    smooth = smooth_in_time(raw)
    edge = (smooth > 127).sum(axis=2)[:, 0]  # where the 0.5 boundary sits, per frame
    assert np.abs(np.diff(edge[4:-4])).max() <= 1  # steady to a pixel
    still = np.repeat(raw[:1], 10, axis=0)
    assert (smooth_in_time(still) == still).all()  # a still matte is unchanged


def test_transparent_video_keeps_alpha_through_a_decode(runs):
    frames = decode(runs.outputs["transparent"], alpha=True)
    assert len(frames) == 30
    for frame, base in zip(frames, bases(runs, len(frames))):
        alpha = frame[..., 3]
        for corner in (alpha[:16, :16], alpha[:16, -16:], alpha[-16:, :16]):  # bottom right: her shoulder
            assert corner.max() <= 2
        rows, cols = face_core(runs, base)
        assert alpha[rows, cols].min() >= 253


def test_background_image_of_another_size_covers_the_frame(tmp_path):
    wide = np.zeros((100, 400, 3), np.uint8)
    wide[:, :, 0] = np.linspace(0, 255, 400).astype(np.uint8)[None, :]  # red ramp, left to right
    cv2.imwrite(str(tmp_path / "wide.png"), cv2.cvtColor(wide, cv2.COLOR_RGB2BGR))
    spec = background.parse(str(tmp_path / "wide.png"))
    alpha = np.zeros((1, 64, 64), np.uint8)
    alpha[0, 16:48, 16:48] = 255  # the "person" in the middle of the matte
    matte = SimpleNamespace(alpha=alpha, width=240, height=180)
    frame = np.full((180, 240, 3), 128, np.uint8)
    out = background.BackgroundStep(spec, matte).apply([frame], np.array([0]))[0]
    assert out.shape == (180, 240, 3)
    # Scaled by 1.8 to fill the height (400x100 -> 720x180), then its middle 240 columns kept.
    ramp = np.linspace(0, 255, 400)
    assert abs(int(out[5, 0, 0]) - ramp[int(240 / 1.8)]) <= 3  # left edge: image column 240/1.8
    assert abs(int(out[5, -1, 0]) - ramp[int(480 / 1.8)]) <= 3
    assert (out[5, :, 1] == 0).all()
    assert (np.abs(out[85:95, 115:125].astype(int) - 128) <= 1).all()  # the person untouched


@pytest.mark.parametrize("value, message", [
    ("purple", "unknown background 'purple'"),
    ("#12345", "unknown background"),
    ("missing.png", "background image file not found"),
])
def test_bad_background_values_are_named(value, message):
    with pytest.raises(InputError, match=message):
        background.parse(value)


def test_unreadable_image_fails_before_any_work(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"not an image at all")
    video = write_video(tmp_path / "t.mp4", 5)
    audio = write_audio(tmp_path / "a.wav", speechlike(0.3))
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(InputError, match="background image cannot be read"):
        pipeline.run(video, audio, tmp_path / "out.mp4", GenerateOptions(background=str(fake)), settings)
    with pytest.raises(InputError, match="transparent video is written as .webm"):
        pipeline.run(video, audio, tmp_path / "out.mp4", GenerateOptions(background="transparent"), settings)
    assert not (tmp_path / "data").exists() and not (tmp_path / "out.mp4").exists()


def test_a_picture_claiming_too_many_pixels_is_refused_before_decoding(tmp_path):
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (11_000, 10_000)).save(bomb)  # 110 million pixels in a few kB
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"too many pixels \(11000x10000"):
        background.parse(str(bomb))


def test_colours_parse():
    assert background.parse("GREEN").colour == (0, 255, 0)
    assert background.parse("#FF8000").colour == (255, 128, 0)
    assert background.parse(None).kind == "keep"
    assert background.parse("transparent").alpha


@pytest.mark.parametrize("name, codec", [("clip.webm", "vp9"), ("clip.mov", "prores")])
def test_alpha_writers_keep_alpha_and_sound(tmp_path, name, codec):
    from heygem.media.encode import VideoWriter

    audio = write_audio(tmp_path / "a.wav", speechlike(0.4))
    frames = []
    for i in range(10):
        rgba = np.zeros((48, 64, 4), np.uint8)
        rgba[..., :3] = (200, 40 + 10 * i, 90)
        rgba[12:36, 16:48, 3] = 255
        frames.append(rgba)
    with VideoWriter(tmp_path / name, 64, 48, 25, audio, alpha=True) as writer:
        for frame in frames:
            writer.write(frame)
    decoded = decode(tmp_path / name, alpha=True)
    assert len(decoded) == 10
    with av.open(str(tmp_path / name)) as container:
        assert container.streams.video[0].codec_context.name == codec
        assert len(container.streams.audio) == 1
    for got, sent in zip(decoded, frames):
        assert got[0, 0, 3] == 0 and got[24, 32, 3] == 255
        assert np.abs(got[24, 32, :3].astype(int) - sent[24, 32, :3]).max() <= 6


def test_cli_refuses_bad_backgrounds_before_any_work(tmp_path, tiny_media, capsys):
    from heygem.cli import main

    video, audio = tiny_media
    data = tmp_path / "d"
    base = ["--data-dir", str(data), "generate", "--video", str(video), "--audio", str(audio), "--engine", "loop"]
    assert main(base + ["-o", str(tmp_path / "o.mp4"), "--background", "transparent"]) == 2
    assert "a transparent video is written as .webm (VP9) or .mov (ProRes 4444)" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "batch", "--audio", str(audio), "--videos", str(video),
                 "--out", str(tmp_path / "out"), "--engine", "loop", "--background", "sunset"]) == 2
    assert "unknown background 'sunset'" in capsys.readouterr().err
    assert not (tmp_path / "o.mp4").exists() and not list((tmp_path / "out").glob("*"))
