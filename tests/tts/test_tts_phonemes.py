"""Synthesised speech drives the mouth from the synthesiser's own phoneme timings, not from decoding."""

from __future__ import annotations

import logging
from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest

from heygem import pipeline, selftest
from heygem.analysis import phones
from heygem.analysis.audio import SAMPLE_RATE, analyze_audio
from heygem.config import Settings
from heygem.media.decode import load_audio
from heygem.motion import general
from heygem.options import GenerateOptions
from heygem.tts import sidecars, synthesize, write_wav

pytest.importorskip("espeakng_loader", reason="eSpeak NG voices not installed")


def test_synthesiser_ipa_becomes_the_decoders_phones():
    assert phones.ipa_phones("p") == ["P"] and phones.ipa_phones("ɑː") == ["AA"]
    assert phones.ipa_phones("aɪ") == ["AA", "IH"]  # a diphthong passes through both vowels
    assert phones.ipa_phones("tʃ") == ["CH"] and phones.ipa_phones("ts.h") == ["CH"]  # affricates, aspiration dropped
    assert phones.ipa_phones("kh") == ["K"] and phones.ipa_phones("onɡ") == ["OW", "NG"]  # eSpeak's Mandarin
    assert phones.ipa_phones("y") == ["UW"] and phones.ipa_phones("s.") == ["SH"]
    assert phones.ipa_phones("ʘ") == ["AH"]  # an unknown sound is speech, never a pause
    assert phones.ipa_phones("ɪʲ") == ["IH"]


def test_timings_become_phone_shares_with_pauses_as_silence():
    timings = [(0.0, 0.08, "m"), (0.08, 0.24, "aɪ"), (0.40, 0.48, "b")]  # a pause from 0.24 to 0.40 s
    shares = phones.timed_phone_shares(timings, Fraction(25), 15)
    assert shares.shape == (15, len(phones.PHONES)) and np.allclose(shares.sum(axis=1), 1.0)
    top = [phones.PHONES[i] for i in shares.argmax(axis=1)]
    assert top[:6] == ["M", "M", "AA", "AA", "IH", "IH"]
    assert top[6:10] == ["SIL"] * 4 and top[10:12] == ["B", "B"] and top[12:] == ["SIL"] * 3


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """English speech full of bilabials and open vowels, its phonemes saved beside it as the job
    service and the CLI do."""
    folder = tmp_path_factory.mktemp("speech")
    speech = synthesize("Welcome back to our weekly product update. My brother Bob moved to Boston in May.", "en-espeak")
    audio = write_wav(speech, folder / "speech.wav")
    sidecars.save_timings(speech, audio)
    return speech, audio


def test_timings_close_the_lips_on_bilabials(spoken):
    """The shipped model fed the synthesiser's phones: the mouth is clearly more closed on p, b, m
    than on open vowels (the phonetic check of training/validate_tts_phones.py)."""
    speech, audio = spoken
    fps = Fraction(25)
    analysis = analyze_audio(load_audio(audio, SAMPLE_RATE), fps)
    known = sidecars.load(audio, "phonemes")
    assert known == [tuple(p) for p in speech.phonemes]
    model = general.load()
    opening = model.predict(replace(analysis, phones=phones.timed_phone_shares(known, fps, analysis.frame_count)))
    opening = opening[:, model.names.index("open")]
    mids = (np.arange(analysis.frame_count) + 0.5) / 25

    def mean_over(labels: set[str]) -> float:
        inside = np.zeros(len(mids), bool)
        for start, end, label in known:
            if label in labels:
                inside |= (mids >= start) & (mids < end)
        assert inside.sum() >= 4
        return float(opening[inside].mean())

    assert mean_over({"aɪ", "ɑː", "æ", "eɪ", "a", "ɑ"}) - mean_over({"p", "b", "m"}) > 0.3 * opening.std()


def test_a_text_job_uses_the_synthesisers_phonemes(spoken, tmp_path, caplog):
    speech, audio = spoken
    video, _ = selftest.make_media(tmp_path)
    with caplog.at_level(logging.INFO, "heygem"):
        result = pipeline.run(video, audio, tmp_path / "out.mp4", GenerateOptions(device="cpu"),
                              Settings(data_dir=tmp_path / "data"))
    assert f"mouth phones from the speech synthesis ({len(speech.phonemes)} phonemes)" in caplog.text
    with av.open(str(result.output)) as container:
        assert container.streams.video[0].frames == result.frames == round(speech.duration * 25)


def test_synthesised_speech_is_another_voice_than_the_templates(spoken, testmedia, tmp_path, caplog):
    """The person-specific model learned the template's voice, not the synthesiser's: a text job's
    mouths come from the calibrated general model alone, whatever GenerateOptions.speaker says."""
    _, audio = spoken
    with caplog.at_level(logging.INFO, "heygem.motion"):
        pipeline.run(testmedia / "video" / "man_map_en.mp4", audio, tmp_path / "out.mp4",
                     GenerateOptions(device="cpu", speaker="template"), Settings(data_dir=tmp_path / "data"))
    (said,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mouth: ")]
    assert "the new speech is another voice" in said


def test_unreadable_timings_are_ignored_with_a_warning(spoken, tmp_path, caplog):
    _, audio = spoken
    copy = tmp_path / "speech.wav"
    copy.write_bytes(audio.read_bytes())
    sidecars.sidecar_path(copy, "phonemes").write_text("[[0.1, \"p\"]]")  # a row without its end
    with caplog.at_level(logging.WARNING, "heygem"):
        assert sidecars.load(copy, "phonemes") is None
    assert "ignoring unreadable phonemes timings speech.wav.phonemes.json" in caplog.text
