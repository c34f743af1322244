import os
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest
from mediafactory import moving_frames, write_audio

from heygem.media.decode import VideoSource, load_audio
from heygem.media.encode import VideoWriter


def onset(samples: np.ndarray, rate: int) -> float:
    """Seconds to the first sample above half the peak."""
    return float(np.flatnonzero(np.abs(samples) > 0.5 * np.abs(samples).max())[0]) / rate


@pytest.mark.parametrize("rate", [16000, 48000])
def test_output_audio_is_not_delayed_against_the_video(tmp_path, rate):
    # AAC encoders prepend priming samples; unless the file says so, players start the sound
    # that much (~21 ms) late and every generated mouth leads its voice.
    click = np.zeros(rate, np.float32)
    click[rate // 2 : rate // 2 + rate // 100] = 0.8
    audio = write_audio(tmp_path / "click.wav", click, rate)
    with VideoWriter(tmp_path / "out.mp4", 64, 48, Fraction(25), audio) as writer:
        for _ in range(25):
            writer.write(np.zeros((48, 64, 3), np.uint8))
    decoded = load_audio(tmp_path / "out.mp4", 16000)
    assert onset(decoded, 16000) == pytest.approx(0.5, abs=0.002)


def all_intra_video(path, frames):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.gop_size = 1  # every frame a keyframe
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def keyframes(path):
    with av.open(str(path)) as container:
        return sum(p.is_keyframe for p in container.demux(video=0) if p.size)


def test_decoded_frames_pass_through_unconverted_with_fresh_frame_types(tmp_path):
    template = all_intra_video(tmp_path / "t.mp4", moving_frames(30, 64, 48))
    with VideoSource(template) as source:
        decoded = list(source.read_decoded(np.r_[0:30, 29:-1:-1]))
        assert all(source.passes_through(picture) for picture in decoded)
        rgb = [source.to_rgb(picture) for picture in decoded]
    with VideoWriter(tmp_path / "out.mp4", 64, 48, Fraction(25)) as writer:
        for picture in decoded:
            writer.write(picture)
    assert keyframes(template) == 30 and keyframes(tmp_path / "out.mp4") <= 3  # the decoder's I types are not copied
    with VideoSource(tmp_path / "out.mp4") as out:
        assert out.info.frame_count == 60
        error = [np.abs(a.astype(int) - b).mean() for b, a in zip(rgb, out.read())]
    assert max(error) < 2.0


def test_frames_of_the_wrong_size_are_refused(tmp_path):
    with pytest.raises(ValueError, match="does not fit the 64x48"), \
            VideoWriter(tmp_path / "out.mp4", 64, 48, Fraction(25)) as writer:
        writer.write(np.zeros((24, 32, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_auto_encoder_uses_nvenc_only_where_it_opens_and_says_which(tmp_path, caplog):
    from heygem.media import encode
    from heygem.options import EncodeOptions

    encode._nvenc_opens.cache_clear()
    with caplog.at_level("INFO", "heygem.media"):
        with VideoWriter(tmp_path / "out.mp4", 64, 48, Fraction(25), options=EncodeOptions(video_codec="auto")) as writer:
            for img in moving_frames(10, 64, 48):
                writer.write(img)
    gpu = encode._nvenc_opens(64, 48)
    assert ("encoding H.264 on the GPU" if gpu else "encoding with libx264") in caplog.text
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264" and c.streams.video[0].frames == 10


ENCODE_30_FRAMES = """
import sys
from heygem.media.decode import VideoSource
from heygem.media.encode import VideoWriter, reproducible_files
reproducible_files()
with VideoSource(sys.argv[1]) as source, VideoWriter(sys.argv[2], source.info.width, source.info.height,
                                                     source.info.fps) as writer:
    for frame in source.read(0, 30):
        writer.write(frame)
"""


def test_reproducible_files_do_not_depend_on_what_the_heap_held(devset, tmp_path):
    """x264 reads memory it has not written on this clip: processes whose allocations start with
    other bytes (glibc's MALLOC_PERTURB_) wrote other files for the same pictures until
    reproducible_files zeroed every allocation."""
    files = []
    for garbage in ("", "85", "170"):
        out = tmp_path / f"heap-{garbage or 'plain'}.mp4"
        subprocess.run([sys.executable, "-c", ENCODE_30_FRAMES, str(devset / "en_obama_address.mp4"), str(out)],
                       env={**os.environ, "MALLOC_PERTURB_": garbage}, check=True)
        files.append(out.read_bytes())
    assert files[0] == files[1] == files[2]
