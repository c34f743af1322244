"""Text to speech in front of the video: `synthesize(text, voice, speed) -> Speech`.

Offline voices: Piper (neural English) and eSpeak NG (Mandarin and English). Online voices
(Microsoft Edge, HEYGEM_TTS_ONLINE=1) are off by default. Engines are imported on first use.
"""

from .synth import iter_speech, synthesize
from .types import Phone, Speech, Voice
from .voices import list_voices, missing_packages
from .wav import wav_bytes, write_wav

__all__ = ["Phone", "Speech", "Voice", "iter_speech", "list_voices", "missing_packages", "synthesize", "wav_bytes",
           "write_wav"]
