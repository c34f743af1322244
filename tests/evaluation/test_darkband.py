"""The dark-band check on a real 1080p close-up: the lip warp adds no dark line its donor lacks."""

import numpy as np
import pytest

from heygem import pipeline
from heygem.analysis.audio import SAMPLE_RATE
from heygem.analysis.mouth import CORNERS
from heygem.analysis.template import load_or_analyze
from heygem.config import Settings
from heygem.evaluation import darkband
from heygem.evaluation.split import write_wav
from heygem.media.decode import VideoSource, load_soundtrack
from heygem.media.encode import VideoWriter
from heygem.options import GenerateOptions

CLIP = "en_mead_m026.mp4"
TEMPLATE_S, AUDIO_S = 1.5, 2.0


@pytest.fixture(scope="module")
def short_1080p(devset, tmp_path_factory):
    """A 1.5 s template cut from a 1080p clip, and 2 s of the same speaker's later speech: a
    template with few mouths, so the warp has work to do."""
    clip = devset / CLIP
    if not clip.is_file():
        pytest.skip(f"{CLIP} not in the development set")
    folder = tmp_path_factory.mktemp("darkband")
    samples = load_soundtrack(clip, SAMPLE_RATE)
    cut = int(TEMPLATE_S * SAMPLE_RATE)
    audio = write_wav(folder / "speech.wav", samples[cut + SAMPLE_RATE // 2 : cut + SAMPLE_RATE // 2 + int(AUDIO_S * SAMPLE_RATE)])
    template = folder / "template.mp4"
    with VideoSource(clip) as source:
        info = source.info
        assert info.height == 1080
        with VideoWriter(template, info.width, info.height, info.fps, write_wav(folder / "t.wav", samples[:cut])) as writer:
            for frame in source.read(0, int(TEMPLATE_S * float(info.fps))):
                writer.write(frame)
    return template, audio, Settings(data_dir=folder / "data")


def test_the_lip_warp_adds_no_dark_band_on_a_1080p_close_up(short_1080p, tmp_path):
    template, audio, settings = short_1080p
    output = tmp_path / "out.mp4"
    result = pipeline.run(template, audio, output, GenerateOptions(engine="mouthbank", device="cpu"), settings)
    report = darkband.check_render(output, load_or_analyze(output, settings), template,
                                   load_or_analyze(template, settings), result.mouth_sources, tmp_path / "worst")
    assert report.checked >= 0.9 * result.frames
    assert report.share <= 0.01, report.worst
    assert len(list((tmp_path / "worst").glob("*.png"))) == darkband.WORST_KEPT


def test_a_drawn_line_across_real_lips_is_caught(short_1080p):
    """What the old warp did: a thin dark line across the mouth, two pixels high at 1080p."""
    template, _, settings = short_1080p
    analysis = load_or_analyze(template, settings)
    i = int(np.nanargmin(np.where(analysis.has_face, analysis.mouth[:, 0], np.nan)))  # the most closed mouth
    with VideoSource(template) as source:
        frame = list(source.read(0, i + 1))[i]
    landmarks = analysis.landmarks[i]
    x0, x1 = sorted(int(x) for x in landmarks[list(CORNERS), 0])
    y = int(round((landmarks[14, 1] + landmarks[17, 1]) / 2))  # across the middle of the lower lip
    lined = frame.copy()
    lined[y : y + 2, x0 + 5 : x1 - 5] = (lined[y : y + 2, x0 + 5 : x1 - 5] * 0.35).astype(np.uint8)
    donor = darkband.strongest_donor_band(frame, landmarks)
    assert darkband.strongest_band(frame, landmarks) - donor <= darkband.TOLERANCE
    assert darkband.strongest_band(lined, landmarks) - donor > darkband.TOLERANCE
