"""Subtitles made by real jobs: a text job's .srt against the speech it spoke, and burned captions
against the same video rendered without them."""

from __future__ import annotations

import av
import numpy as np
import pytest
from mediafactory import moving_frames, speechlike, write_audio, write_video

from heygem import pipeline
from heygem.config import Settings
from heygem.options import EncodeOptions, GenerateOptions
from heygem.service import JobService, JobStatus
from heygem.subtitles import Cue
from heygem.subtitles.burn import CaptionBurner
from heygem.tts import sidecars


def speech_stretches(path, min_gap_s=0.25) -> list[tuple[float, float]]:
    """(start, end) of the sound in a file: samples above -45 dBFS, gaps shorter than min_gap_s bridged.
    Independent of the timings the TTS reports."""
    from heygem.media.decode import load_audio

    samples = load_audio(path, 16000)
    loud = np.flatnonzero(np.abs(samples) > 10 ** (-45 / 20)) / 16000
    cuts = np.flatnonzero(np.diff(loud) >= min_gap_s)
    starts, ends = np.r_[loud[0], loud[cuts + 1]], np.r_[loud[cuts], loud[-1]]
    return list(zip(starts, ends))


def test_text_job_srt_follows_the_spoken_sentences(tmp_path):
    pytest.importorskip("piper", reason="Piper voices not installed")
    import srt

    sentences = ["Welcome to our spring sale this weekend.", "Every jacket in the shop is half price.",
                 "Come early for the best choice of colours."]
    service = JobService(Settings(data_dir=tmp_path / "data"), device="cpu")
    try:
        service.start()
        job = service.submit(write_video(tmp_path / "shop.mp4", 25), text=" ".join(sentences), voice="en-joe",
                             options=GenerateOptions(engine="loop", subtitles="srt"))
        job = service.wait([job.id], timeout=120)[0]
    finally:
        service.close()
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.subtitles.name == f"{job.id}.srt"
    cues = list(srt.parse(job.subtitles.read_text(encoding="utf-8")))
    spoken = speech_stretches(job.inputs.audio)
    assert len(spoken) == len(sentences)
    # The cues, in order, hold exactly the sentences; each sentence's cues span its speech.
    k = 0
    for sentence, (start, end) in zip(sentences, spoken):
        first, text = cues[k], ""
        while " ".join(text.split()) != sentence:
            assert k < len(cues) and len(text) < len(sentence), (sentence, text)
            text += " " + cues[k].content
            k += 1
        assert abs(first.start.total_seconds() - start) <= 0.3, (sentence, first.start, start)
        assert abs(cues[k - 1].end.total_seconds() - end) <= 0.3, (sentence, cues[k - 1].end, end)
    assert k == len(cues)


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_burned_frames_differ_from_the_plain_render_only_in_the_caption_box(tmp_path):
    import srt

    video = write_video(tmp_path / "t.mp4", moving_frames(30, 320, 240), size=(320, 240))
    audio = write_audio(tmp_path / "speech.wav", speechlike(3.0))
    # Timings as a text job's synthesis leaves them beside its speech file.
    sidecars.save(audio, "phrases", ((0.2, 1.4, "第一句字幕, the first caption"), (1.9, 2.8, "second caption.")))
    settings = Settings(data_dir=tmp_path / "data")
    lossless = EncodeOptions(crf=0)  # no encoder noise: unchanged pixels stay identical
    plain, burned = tmp_path / "plain.mp4", tmp_path / "burned.mp4"
    pipeline.run(video, audio, plain, GenerateOptions(engine="loop", subtitles="srt", encode=lossless), settings)
    result = pipeline.run(video, audio, burned, GenerateOptions(engine="loop", subtitles="burn", encode=lossless),
                          settings)
    assert result.subtitles == tmp_path / "burned.srt" and (tmp_path / "plain.srt").is_file()
    cues = [Cue(c.start.total_seconds(), c.end.total_seconds(), c.content)
            for c in srt.parse(result.subtitles.read_text(encoding="utf-8"))]
    burner = CaptionBurner(cues, 320, 240, 25)
    with_caption = 0
    for index, (a, b) in enumerate(zip(decode(plain), decode(burned), strict=True)):
        diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
        cue = burner.cue_index(index)
        if cue is None:
            assert diff.max() == 0, index
            continue
        left, top, right, bottom = burner.caption(cue).box
        inside = np.zeros_like(diff, bool)
        inside[max(0, top - 2):bottom + 2, max(0, left - 2):right + 2] = True  # 2 px: chroma is shared by 2x2 pixels
        assert diff[~inside].max() == 0, index
        assert diff[inside].mean() > 20, index  # the caption is really there
        assert top > 240 / 2 and abs((left + right) / 2 - 160) <= 1  # bottom centre
        with_caption += 1
    assert with_caption >= 0.6 * 75


def test_burn_without_a_usable_font_fails_before_writing_anything(tmp_path, monkeypatch):
    from heygem.errors import EngineUnavailable
    from heygem.subtitles.burn import FONT_ENV

    monkeypatch.setenv(FONT_ENV, str(tmp_path / "missing.ttf"))
    video = write_video(tmp_path / "t.mp4", 25)
    audio = write_audio(tmp_path / "speech.wav", speechlike(1.0))
    sidecars.save(audio, "phrases", ((0.1, 0.9, "hello"),))
    out = tmp_path / "out.mp4"
    with pytest.raises(EngineUnavailable, match="missing.ttf"):
        pipeline.run(video, audio, out, GenerateOptions(engine="loop", subtitles="burn"),
                     Settings(data_dir=tmp_path / "data"))
    assert not out.exists() and not out.with_suffix(".srt").exists()
