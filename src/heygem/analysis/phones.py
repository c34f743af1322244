"""Speech -> per-video-frame phone classes, from pocketsphinx all-phone decoding.

The all-phone decoder (the English acoustic model and phone language model that ship in the
pocketsphinx wheel, BSD licence) needs no transcript and no language: it labels every 10 ms of
audio with the closest English phone. On other languages the labels are approximations, but
pauses, lip closures (p/b/m), rounding (oo/w) and open vowels still come out where they are
heard, which is what a mouth needs. Phones are pooled into a few mouth-shape classes (visemes),
so one mislabelled phone of a class costs nothing; the general model also gets the phones
themselves, which let it learn differences inside a class where the data shows them.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


VISEMES: dict[str, tuple[str, ...]] = {
    "silence": ("SIL", "+SPN+", "+NSN+"),
    "lips_closed": ("P", "B", "M"),
    "lip_teeth": ("F", "V"),
    "rounded": ("UW", "UH", "OW", "OY", "W", "AO"),
    "r": ("R", "ER"),
    "open": ("AA", "AE", "AH", "AW", "AY"),
    "mid": ("EH", "EY"),
    "spread": ("IY", "IH", "Y"),
    "tongue_teeth": ("TH", "DH"),
    "alveolar": ("T", "D", "N", "L", "S", "Z"),
    "postalveolar": ("SH", "ZH", "CH", "JH"),
    "back": ("K", "G", "NG", "HH"),
}
"""Mouth-shape classes of the decoder's phones; a phone not listed counts as silence."""
CLASS_OF = {phone: i for i, phones in enumerate(VISEMES.values()) for phone in phones}
PHONES = tuple(phone for phones in VISEMES.values() for phone in phones)
"""The phones as features (silence first; an unlisted phone counts as silence). Noise labels stay
apart from silence: validated better than pooled (0.403 vs 0.395)."""
PHONE_INDEX = {phone: i for i, phone in enumerate(PHONES)}
SEGMENT_HZ = 100  # the decoder's frame rate


def _new_decoder():
    """A decoder of its own for each utterance (~0.1 s): a reused one carries its cepstral-mean
    estimate over from earlier audio, so the same speech would decode differently depending on
    what the process heard before, and it must not be shared between job threads."""
    try:
        from pocketsphinx import Config, Decoder, get_model_path
    except ImportError as exc:
        from ..errors import EngineUnavailable

        raise EngineUnavailable("phone decoding needs the pocketsphinx package: pip install 'pocketsphinx>=5'") from exc
    models = get_model_path()
    # Language weight ~2 and very wide beams: phone timing stays sensible on non-English speech.
    config = Config(hmm=f"{models}/en-us/en-us", allphone=f"{models}/en-us/en-us-phone.lm.bin",
                    lw=2.0, beam=1e-20, pbeam=1e-20, loglevel="FATAL")
    return Decoder(config)


def phone_segments(samples: np.ndarray) -> list[tuple[str, int, int]]:
    """(phone, first, last) 10 ms frames of 16 kHz mono float audio, in order."""
    decoder = _new_decoder()
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    return [(seg.word, seg.start_frame, seg.end_frame) for seg in decoder.seg()]


def phone_shares(samples: np.ndarray, fps: Fraction, count: int) -> np.ndarray:
    """(count, len(PHONES)) float32: the share of each video frame's span spent in each phone."""
    from .audio import per_video_frame

    hundredths = max(1, int(np.ceil(len(samples) / 16000 * SEGMENT_HZ)))
    labels = np.zeros(hundredths, np.int64)  # silence where the decoder says nothing
    for phone, first, last in phone_segments(samples):
        labels[first : last + 1] = PHONE_INDEX.get(phone, 0)
    one_hot = np.eye(len(PHONES), dtype=np.float32)[labels]
    return per_video_frame(one_hot, fps, count)


def visemes_of(phones: np.ndarray) -> np.ndarray:
    """(n, len(PHONES)) phone shares -> (n, len(VISEMES)) mouth-shape class shares."""
    membership = np.zeros((len(PHONES), len(VISEMES)), np.float32)
    for i, phone in enumerate(PHONES):
        membership[i, CLASS_OF[phone]] = 1.0
    return phones @ membership
