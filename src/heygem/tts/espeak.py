"""eSpeak NG engine: Mandarin and English, tiny and fast, with phoneme timings.

Talks to libespeak-ng through ctypes. The library and its voice data come from the
`espeakng-loader` wheel, so nothing is installed outside pip. libespeak-ng keeps global state
(one voice, one callback), so every call holds one process-wide lock.

Mandarin uses the plain `cmn` voice on Chinese characters rather than pypinyin + the
`cmn-latn-pinyin` voice: on 23 polyphone and tone-sandhi words and sentences (很长, 头发长了,
一样, 银行, ...) its own dictionary read 22 right against pypinyin's 19, it covers rare
characters, and it reads embedded English words with English rules. Numbers are turned into
Chinese words beforehand (normalize.py), because `cmn` reads digits and "%" in English.
"""

from __future__ import annotations

import ctypes
import os
import threading

from ..errors import EngineUnavailable
from .types import Phone, Speech, Voice

BASE_RATE_WPM = 175
"""eSpeak's own default speaking rate; speed=1.0 means this."""

# From espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_VOLUME = 2
VOLUME = 75
"""eSpeak's loudness (its default is 100): at 100 the Mandarin voice clips on some vowels."""
_STRESS_MARKS = str.maketrans("", "", "ˈˌ")


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)

_LOCK = threading.Lock()
_state: _Library | None = None


class _Library:
    """The loaded library plus where the current call's audio and events go."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EngineUnavailable(
                "the eSpeak NG voices need the espeakng-loader package: pip install espeakng-loader"
            ) from exc
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        data_parent = os.path.dirname(espeakng_loader.get_data_path())
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent.encode(),
            _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT,
        )
        if self.sample_rate <= 0:
            raise EngineUnavailable(f"libespeak-ng failed to initialise with data in {data_parent}")
        self.chunks: list[bytes] = []
        self.events: list[tuple[float, str]] = []
        # Kept on self: ctypes must hold the callback object as long as the library may call it.
        self.callback = _Callback(self._on_audio)
        self.lib.espeak_SetSynthCallback(self.callback)

    def _on_audio(self, wav, n_samples, events) -> int:  # type: ignore[no-untyped-def]
        if n_samples > 0:
            self.chunks.append(ctypes.string_at(wav, n_samples * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                name = event.id.string.decode("utf-8", "replace")
                self.events.append((event.audio_position / 1000.0, name))
            i += 1
        return 0  # 0 = go on synthesising


def _library() -> _Library:
    global _state
    if _state is None:
        _state = _Library()
    return _state


def missing(voice: Voice | None = None) -> str | None:
    """What to install when this engine cannot run here, else None."""
    from importlib.util import find_spec

    return None if find_spec("espeakng_loader") else "pip install espeakng-loader"


def speak(text: str, voice: Voice, speed: float = 1.0) -> Speech:
    """One piece of normalised text -> speech with phoneme timings."""
    import numpy as np

    with _LOCK:
        lib = _library()
        if lib.lib.espeak_SetVoiceByName(voice.engine_voice.encode()) != 0:
            raise EngineUnavailable(f"eSpeak NG has no voice {voice.engine_voice!r}")
        lib.lib.espeak_SetParameter(_PARAM_RATE, round(BASE_RATE_WPM * speed), 0)
        lib.lib.espeak_SetParameter(_PARAM_VOLUME, VOLUME, 0)
        lib.chunks, lib.events = [], []
        data = text.encode("utf-8") + b"\0"
        status = lib.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.lib.espeak_Synchronize()
        if status != 0:
            raise EngineUnavailable(f"eSpeak NG failed (status {status}) on: {text[:60]!r}")
        pcm = np.frombuffer(b"".join(lib.chunks), dtype=np.int16)
        events, sample_rate = lib.events, lib.sample_rate
    samples = pcm.astype(np.float32) / 32768.0
    return Speech(samples, sample_rate, _phones(events, len(samples) / sample_rate), voice.name)


def _phones(events: list[tuple[float, str]], duration: float) -> tuple[Phone, ...]:
    """Phoneme events (start, name) -> (start, end, name); each lasts until the next event.

    Empty names are pauses and "(en)"-style names mark a language switch: both only end the
    phoneme before them.
    """
    phones: list[Phone] = []
    for index, (start, name) in enumerate(events):
        end = events[index + 1][0] if index + 1 < len(events) else duration
        label = name.translate(_STRESS_MARKS).strip()
        if label and not label.startswith("(") and end > start:
            phones.append((start, min(end, duration), label))
    return tuple(phones)

