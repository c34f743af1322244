import logging

import av
import numpy as np
import pytest

from heygem import selftest
from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
from heygem.analysis.template import load_or_analyze
from heygem.config import Settings
from heygem.media.decode import load_audio
from heygem.media.decode import VideoSource


def test_default_engine_end_to_end_on_builtin_media(tmp_path, caplog):
    """What start_app.sh checks (selftest: portrait template + TTS speech -> a valid talking video),
    then the same template again: from the cache, no face work and no mouth bank build."""
    from heygem import pipeline
    from heygem.options import GenerateOptions

    video, audio = selftest.make_media(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    seen = []
    with caplog.at_level(logging.DEBUG, "heygem"):
        result = pipeline.run(video, audio, tmp_path / "out.mp4", GenerateOptions(device="cpu"), settings,
                              progress=lambda fraction, message: seen.append((fraction, message)))
    assert result.engine == "mouthbank"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # the engine's preparation reports too, with the bar held where the analysis left it
    assert (pipeline.ANALYSIS_SHARE, "building the mouth bank 0/50") in seen
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert c.streams.video[0].frames == result.frames > 25
        assert c.streams.audio[0].codec_context.name == "aac"
    assert work_done(caplog) == ["face analysis", "mouth bank built"]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, "heygem"):
        pipeline.run(video, audio, tmp_path / "out2.mp4", GenerateOptions(device="cpu"), settings)
    assert work_done(caplog) == ["template analysis from cache"]


def work_done(caplog) -> list[str]:
    """The template work the log reports, in order: analysed, read from the cache, bank built."""
    said = {"face in ": "face analysis", "template analysis from cache": "template analysis from cache",
            "mouth bank built": "mouth bank built"}
    return [name for record in caplog.records for text, name in said.items() if text in record.getMessage()]


def test_a_photo_with_shut_lips_still_talks(tmp_path):
    """The portrait never opens its mouth, so no donor can: the closest one is opened by warping."""
    settings = Settings(data_dir=tmp_path / "data")
    selftest.run(settings, tmp_path / "out.mp4", "cpu")
    video, audio = selftest.make_media(tmp_path)
    template, output = load_or_analyze(video, settings), load_or_analyze(tmp_path / "out.mp4", settings)
    drive = analyze_audio(load_audio(audio, SAMPLE_RATE), output.video.fps)
    n = min(output.frame_count, drive.frame_count)
    assert np.percentile(template.mouth[:, 0], 95) < 0.01
    assert np.percentile(output.mouth[:, 0], 95) > 0.04
    assert np.corrcoef(output.mouth[:n, 0], drive.loudness[:n])[0, 1] > 0.4


@pytest.mark.slow
def test_real_template_other_language(tmp_path, testmedia):
    from heygem import pipeline
    from heygem.options import GenerateOptions

    out = tmp_path / "zh.mp4"
    result = pipeline.run(testmedia / "video/woman_glasses_en.mp4", testmedia / "audio/zh_bus_3s.wav", out,
                          GenerateOptions(device="cpu"), Settings(data_dir=tmp_path / "data"))
    info = VideoSource(out).info
    assert (info.width, info.height) == (524, 524) and abs(result.frames / 25 - 3.4) < 0.1
