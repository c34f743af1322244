"""The voices HeyGem can speak with, and which one a text gets when none is named."""

from __future__ import annotations

import os
from importlib import import_module
from types import ModuleType

from ..errors import EngineUnavailable, InputError
from .types import Voice

ONLINE_ENV = "HEYGEM_TTS_ONLINE"
"""Set to 1 to offer the online voices (they send the text to a web service)."""

OFFLINE_VOICES: tuple[Voice, ...] = (
    Voice("zh-espeak", "zh", "espeak-ng", "Mandarin, male, eSpeak NG (robotic but clear; reads English words too)",
          engine_voice="cmn"),
    Voice("zh-espeak-female", "zh", "espeak-ng", "Mandarin, female, eSpeak NG",
          engine_voice="cmn+f3"),
    Voice("en-joe", "en", "piper", "English (US), male, Piper neural voice 'joe' (natural)",
          engine_voice="en_US-joe-medium"),
    Voice("en-espeak", "en", "espeak-ng", "English (US), male, eSpeak NG (robotic, very fast)",
          engine_voice="en-us"),
    Voice("en-espeak-female", "en", "espeak-ng", "English (US), female, eSpeak NG",
          engine_voice="en-us+f3"),
)

ONLINE_VOICES: tuple[Voice, ...] = (
    Voice("zh-xiaoxiao-online", "zh", "edge-tts", "Mandarin, female, Microsoft Edge neural voice (online)",
          online=True, engine_voice="zh-CN-XiaoxiaoNeural"),
    Voice("zh-yunxi-online", "zh", "edge-tts", "Mandarin, male, Microsoft Edge neural voice (online)",
          online=True, engine_voice="zh-CN-YunxiNeural"),
    Voice("en-aria-online", "en", "edge-tts", "English (US), female, Microsoft Edge neural voice (online)",
          online=True, engine_voice="en-US-AriaNeural"),
    Voice("en-guy-online", "en", "edge-tts", "English (US), male, Microsoft Edge neural voice (online)",
          online=True, engine_voice="en-US-GuyNeural"),
)

# Auto choice per language, best first; the first one whose packages are installed wins.
_PREFERRED = {"zh": ("zh-espeak",), "en": ("en-joe", "en-espeak")}
_ENGINES = {"espeak-ng": ".espeak", "piper": ".piper", "edge-tts": ".online"}


def online_enabled() -> bool:
    return os.environ.get(ONLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def list_voices(include_online: bool | None = None) -> list[Voice]:
    """All voices; the online ones only when enabled (HEYGEM_TTS_ONLINE=1 by default)."""
    online = online_enabled() if include_online is None else include_online
    return list(OFFLINE_VOICES + (ONLINE_VOICES if online else ()))


def missing_packages(voice: Voice) -> str | None:
    """The pip command that would make this voice usable, or None when it is ready."""
    return engine(voice).missing(voice)


def engine(voice: Voice) -> ModuleType:
    """The module that speaks for this voice (imported on first use; it is cheap)."""
    return import_module(_ENGINES[voice.engine], __package__)


def resolve(name: str | None, language: str) -> Voice:
    """The voice called `name`, or the best installed voice for `language` when name is None."""
    if name is None or name in ("", "auto"):
        for candidate in _PREFERRED[language]:
            voice = _by_name(candidate)
            if missing_packages(voice) is None:
                return voice
        first = _by_name(_PREFERRED[language][0])
        raise EngineUnavailable(
            f"no {language} voice is installed; for {first.name!r}: {missing_packages(first)}"
        )
    known = {v.name: v for v in OFFLINE_VOICES + ONLINE_VOICES}
    if name not in known:
        names = ", ".join(v.name for v in list_voices())
        raise InputError(f"unknown voice {name!r}; known voices: {names} (see `heygem voices`)")
    voice = known[name]
    if voice.online and not online_enabled():
        raise InputError(
            f"voice {name!r} is online (it sends the text to a web service); "
            f"set {ONLINE_ENV}=1 to allow online voices"
        )
    hint = missing_packages(voice)
    if hint:
        raise EngineUnavailable(f"voice {name!r} needs packages that are not installed: {hint}")
    return voice


def _by_name(name: str) -> Voice:
    return next(v for v in OFFLINE_VOICES if v.name == name)
