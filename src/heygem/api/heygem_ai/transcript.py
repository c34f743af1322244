"""English speech -> text with pocketsphinx (offline, its wheel ships the en-us models)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("heygem.api.heygem_ai")


def english_transcript(samples: np.ndarray, sample_rate: int = 16000) -> str:
    """What is said in mono float samples at 16 kHz, as lower-case words; "" when pocketsphinx is
    missing or hears nothing. Rough (a small general model): good enough for a reference text."""
    from ...analysis.phone_decoder import pcm16

    try:
        from pocketsphinx import Decoder
    except ImportError:
        log.info("pocketsphinx is not installed: reference audio gets no transcript")
        return ""
    decoder = Decoder(samprate=sample_rate, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm16(samples), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr.strip() if hypothesis else ""
