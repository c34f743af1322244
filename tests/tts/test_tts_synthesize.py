"""Real offline synthesis: non-silent speech of plausible length, phoneme timings, clear errors."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from heygem.errors import InputError
from heygem.tts import Speech, iter_speech, synthesize, write_wav
from heygem.tts.synth import SENTENCE_PAUSE_S

espeak = pytest.importorskip("espeakng_loader", reason="eSpeak NG voices not installed")


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def _check_speech(speech: Speech, min_s: float, max_s: float) -> None:
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert min_s <= speech.duration <= max_s, speech.duration
    assert np.abs(speech.samples).max() <= 1.0
    assert _rms(speech.samples) > 0.02  # speech, not silence or a click
    if speech.phonemes is not None:
        starts = [s for s, _, _ in speech.phonemes]
        assert starts == sorted(starts)
        assert all(0.0 <= s < e <= speech.duration + 1e-6 and ph for s, e, ph in speech.phonemes)


def test_mandarin_sentence_default_voice() -> None:
    # 11 syllables: Mandarin is spoken at about 3-6 syllables a second.
    speech = synthesize("我们今天一起去银行取钱。")
    assert speech.voice == "zh-espeak"
    _check_speech(speech, 11 / 6, 11 / 2.5 + SENTENCE_PAUSE_S)
    assert speech.phonemes and len(speech.phonemes) >= 20
    assert speech.phonemes[0][2] == "w"  # 我 wo


def test_english_sentence_default_voice() -> None:
    pytest.importorskip("piper", reason="Piper voices not installed")
    # 12 words: English is spoken at about 120-220 words a minute.
    speech = synthesize("The quick brown fox jumps over the lazy dog near the river.")
    assert speech.voice == "en-joe"
    _check_speech(speech, 12 / 220 * 60, 12 / 120 * 60 + SENTENCE_PAUSE_S)
    if speech.phonemes is not None:  # the onnx package exposes Piper's durations
        assert [ph for _, _, ph in speech.phonemes[:3]] == ["ð", "ə", "k"]


@pytest.mark.parametrize("voice", ["en-espeak", "en-espeak-female", "zh-espeak-female"])
def test_other_offline_voices(voice: str) -> None:
    speech = synthesize("Hello there, my friend." if voice.startswith("en") else "你好，朋友。", voice)
    _check_speech(speech, 0.5, 3.0)
    assert speech.phonemes


def test_mixed_chinese_and_english_text_uses_the_mandarin_voice() -> None:
    text = "HeyGem是一个开源的数字人项目，支持English和中文。"
    speech = synthesize(text)
    assert speech.voice == "zh-espeak"
    _check_speech(speech, 2.0, 9.0)
    labels = "".join(ph for _, _, ph in speech.phonemes or ())
    assert "dʒ" in labels  # the "G" of HeyGem is read as English, not spelled in Mandarin


def test_numbers_are_spoken_in_the_texts_language() -> None:
    plain = synthesize("增长了百分之三十五。")
    digits = synthesize("增长了35%。")
    assert [p for *_, p in digits.phonemes or ()] == [p for *_, p in plain.phonemes or ()]


def test_long_text_is_spoken_sentence_by_sentence_with_pauses() -> None:
    sentences = ["第一句话。", "第二句话！", "第三句话？"]
    pieces = list(iter_speech("".join(sentences), "zh-espeak"))
    assert len(pieces) == 3
    rate = pieces[0].sample_rate
    for piece in pieces:
        # each piece ends in the sentence pause: silence
        tail = piece.samples[-round(SENTENCE_PAUSE_S * rate) :]
        assert _rms(tail) == 0.0 and _rms(piece.samples) > 0.02
    whole = synthesize("".join(sentences), "zh-espeak")
    # eSpeak adds a little random pitch flutter, so two runs differ by a few samples.
    assert whole.duration == pytest.approx(sum(p.duration for p in pieces), abs=0.01)
    # phoneme times of later sentences are shifted by the pieces before them
    assert whole.phonemes and whole.phonemes[-1][1] > pieces[0].duration + pieces[1].duration


def test_speed_changes_duration() -> None:
    slow = synthesize("今天天气很好，我们出去走走吧。", speed=0.75)
    fast = synthesize("今天天气很好，我们出去走走吧。", speed=1.5)
    assert fast.duration < 0.75 * slow.duration


@pytest.mark.parametrize("text", ["", "   \n ", "。。。！", "..."])
def test_empty_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(InputError, match="empty|nothing to pronounce"):
        synthesize(text)


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(InputError, match="unknown voice 'robot'.*zh-espeak"):
        synthesize("hello", "robot")
    with pytest.raises(InputError, match="speed"):
        synthesize("hello", speed=5)
    with pytest.raises(InputError, match="English only"):
        synthesize("你好", "en-espeak")
    with pytest.raises(InputError, match="limit"):
        synthesize("a" * 20_001)


def test_write_wav_round_trip(tmp_path: Path) -> None:
    speech = synthesize("你好。")
    path = write_wav(speech, tmp_path / "speech.wav")
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, speech.sample_rate)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert len(pcm) == len(speech.samples)
    assert np.abs(pcm / 32767.0 - speech.samples).max() < 1e-4
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize(("voice", "text"), [
    ("en-joe", "Hello there. How are you today?"),
    ("en-espeak", "Hello there. How are you today?"),
    ("zh-espeak", "你好。今天怎么样？"),
])
def test_phoneme_timings_line_up_with_the_sound(voice: str, text: str) -> None:
    if voice == "en-joe":
        pytest.importorskip("piper", reason="Piper voices not installed")
        pytest.importorskip("onnx", reason="Piper timings need the onnx package")
    speech = synthesize(text, voice)
    assert speech.phonemes
    inside = np.zeros(len(speech.samples), bool)
    for start, end, _ in speech.phonemes:
        inside[round(start * speech.sample_rate) : round(end * speech.sample_rate)] = True
    # Sound happens during phonemes; the gaps (sentence pauses) are quiet.
    assert _rms(speech.samples[~inside]) < 0.05 * _rms(speech.samples[inside])
    gaps = [b[0] - a[1] for a, b in zip(speech.phonemes, speech.phonemes[1:], strict=False)]
    assert max(gaps) >= SENTENCE_PAUSE_S  # the pause between the two sentences is a gap


def test_piper_without_onnx_speaks_without_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("piper", reason="Piper voices not installed")
    from importlib.util import find_spec

    from heygem.tts import piper

    monkeypatch.setattr(piper, "_loaded", {})  # load the model again, unpatched
    monkeypatch.setattr(piper, "find_spec", lambda name: None if name == "onnx" else find_spec(name))
    speech = synthesize("Hello there.", "en-joe")
    assert speech.phonemes is None
    _check_speech(speech, 0.4, 2.0)
