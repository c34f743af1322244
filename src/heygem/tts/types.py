"""Plain data passed out of the TTS stage: a voice description and synthesised speech."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

Phone = tuple[float, float, str]
"""(start_s, end_s, phoneme): one phoneme of the speech, times from the start of the audio.

Labels are the engine's IPA (stress marks removed); pauses are gaps, not entries.
"""


@dataclass(frozen=True)
class Voice:
    """A voice that `synthesize` can speak with."""

    name: str
    """What users type: `heygem generate --voice NAME`."""
    language: str
    """ISO 639-1 code of the language it speaks: "zh" (Mandarin) or "en"."""
    engine: str
    """The engine behind it: "piper", "espeak-ng" or "edge-tts"."""
    description: str
    online: bool = False
    """True when synthesis sends the text to a web service."""
    engine_voice: str = ""
    """The engine's own id for this voice (espeak voice name, piper model, service voice)."""


@dataclass(frozen=True, eq=False)
class Speech:
    """Synthesised speech: mono float32 samples in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    phonemes: tuple[Phone, ...] | None = None
    """Phoneme timings when the engine reports them, else None."""
    voice: str = ""
    phrases: tuple[tuple[float, float, str], ...] | None = None
    """(start_s, end_s, text) of each sentence or clause spoken, as the user wrote it (subtitles)."""

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.samples) / self.sample_rate
