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

from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from .phone_decoder import decode_pieces


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
SEGMENT_SAMPLES = 16000 // SEGMENT_HZ  # of its 16 kHz audio
PIECE_S = 15.0
"""Speech is decoded in pieces of about this length, each its own utterance, so that the pieces can
be decoded at the same time in worker processes (the decoder holds the GIL: threads would take
turns). The labels depend only on the audio, never on how many workers there are; training decodes
the same way."""
CUT_SEARCH_S = 2.0
"""Each cut goes to the quietest 0.1 s within this distance of its mark (a pause, in speech)."""


def piece_starts(samples: np.ndarray) -> list[int]:
    """The first 10 ms frame of each piece (see PIECE_S): one cut near every PIECE_S seconds, at the
    quietest 0.1 s around its mark; the last piece is at least half a piece long."""
    step = len(samples) // SEGMENT_SAMPLES
    frames = samples[: step * SEGMENT_SAMPLES].reshape(step, -1).astype(np.float64)
    energy = np.convolve((frames**2).mean(axis=1), np.ones(10), mode="same")
    piece, search = int(PIECE_S * SEGMENT_HZ), int(CUT_SEARCH_S * SEGMENT_HZ)
    starts = [0]
    for mark in range(piece, step - piece // 2, piece):
        low, high = max(starts[-1] + search, mark - search), min(step, mark + search)
        if low < high:
            starts.append(low + int(np.argmin(energy[low:high])))
    return starts


def phone_segments(samples: np.ndarray) -> list[tuple[str, int, int]]:
    """(phone, first, last) 10 ms frames of 16 kHz mono float audio, in order: decoded in pieces,
    several at a time where there are cores for it."""
    starts = piece_starts(samples)
    bounds = [start * SEGMENT_SAMPLES for start in starts] + [len(samples)]
    pieces = [samples[a:b] for a, b in zip(bounds, bounds[1:])]
    segments = []
    for start, decoded in zip(starts, decode_pieces(pieces)):
        segments.extend((phone, start + first, start + last) for phone, first, last in decoded)
    return segments


def phone_shares(samples: np.ndarray, fps: Fraction, count: int) -> np.ndarray:
    """(count, len(PHONES)) float32: the share of each video frame's span spent in each phone."""
    labels = np.zeros(max(1, int(np.ceil(len(samples) / 16000 * SEGMENT_HZ))), np.int64)  # silence where the decoder says nothing
    for phone, first, last in phone_segments(samples):
        labels[first : last + 1] = PHONE_INDEX.get(phone, 0)
    return _frame_shares(labels, fps, count)


def _frame_shares(labels: np.ndarray, fps: Fraction, count: int) -> np.ndarray:
    """A phone index per 10 ms -> (count, len(PHONES)) share of each video frame's span in each phone."""
    from .audio import per_video_frame

    return per_video_frame(np.eye(len(PHONES), dtype=np.float32)[labels], fps, count)


IPA_PHONES = {
    "p": "P", "b": "B", "m": "M", "β": "B", "ɸ": "F", "f": "F", "v": "V", "ʋ": "V", "θ": "TH", "ð": "DH",
    "t": "T", "d": "D", "n": "N", "l": "L", "ɫ": "L", "ɭ": "L", "ʎ": "L", "ɾ": "D", "s": "S", "z": "Z",
    "ʃ": "SH", "ʒ": "ZH", "ɕ": "SH", "ʑ": "ZH", "ʂ": "SH", "ʐ": "ZH", "s.": "SH", "z.": "ZH", "ç": "HH",
    "tʃ": "CH", "dʒ": "JH", "ts": "CH", "dz": "JH", "tɕ": "CH", "dʑ": "JH", "ʈʂ": "CH", "ts.": "CH", "ɖʐ": "JH",
    "k": "K", "ɡ": "G", "g": "G", "ŋ": "NG", "nɡ": "NG", "ng": "NG", "ɲ": "N", "ɴ": "NG", "x": "HH", "χ": "HH", "h": "HH", "ɦ": "HH",
    "ʁ": "HH", "ʔ": "HH", "r": "R", "ɹ": "R", "ɻ": "R", "j": "Y", "w": "W", "ɥ": "W",
    "i": "IY", "ɪ": "IH", "ɨ": "IH", "e": "EY", "ɛ": "EH", "æ": "AE", "a": "AA", "ɑ": "AA", "ɒ": "AA",
    "ɐ": "AH", "ʌ": "AH", "ə": "AH", "ɘ": "AH", "ɤ": "AH", "ɚ": "ER", "ɝ": "ER", "ɜ": "ER", "ɔ": "AO",
    "o": "OW", "ɵ": "OW", "ø": "OW", "œ": "OW", "ʊ": "UH", "ɯ": "UH", "u": "UW", "y": "UW",
}
"""The synthesisers' IPA (eSpeak NG's and Piper's, English and Mandarin) as the decoder's phones,
by where the lips and jaw are: Mandarin's rounded front vowel y as UW, its retroflexes as the
postalveolars, the glottal stop as HH. Longer labels (diphthongs, "ong") are split into these."""
_STOPS = {"P", "B", "T", "D", "K", "G", "CH", "JH"}
_IPA_MARKS = str.maketrans("", "", "ːˑʰʲʷ\u0303\u0329\u032f\u0361\u02de0123456789")


def ipa_phones(label: str) -> list[str]:
    """One synthesiser phoneme -> the decoder's phones it passes through, in order (an affricate
    is one phone, a diphthong two): aspiration ("th", "tɕh"), length, tone and other marks dropped;
    an unknown sound counts as a neutral vowel, so speech never reads as a pause."""
    label = label.translate(_IPA_MARKS)
    phones: list[str] = []
    while label:
        if label[0] == "h" and phones and phones[-1] in _STOPS:
            label = label[1:]  # aspiration: the stop's release, no sound of its own for the lips
            continue
        size = next((n for n in (3, 2, 1) if label[:n] in IPA_PHONES), 0)
        phones.append(IPA_PHONES[label[:size]] if size else "AH")
        label = label[max(size, 1):]
    return phones


def timed_phone_shares(phonemes: Iterable[tuple[float, float, str]], fps: Fraction, count: int) -> np.ndarray:
    """Like phone_shares, from a synthesiser's own phoneme timings ((start_s, end_s, IPA), pauses
    as gaps) instead of decoding: a phoneme of several phones gives each an equal part of its time."""
    labels = np.zeros(max(1, int(np.ceil(count / float(fps) * SEGMENT_HZ))), np.int64)
    for start, end, label in phonemes:
        parts = ipa_phones(label)
        bounds = np.linspace(start * SEGMENT_HZ, end * SEGMENT_HZ, len(parts) + 1).round().astype(int)
        for phone, first, stop in zip(parts, bounds, bounds[1:]):
            labels[max(0, first) : max(0, stop)] = PHONE_INDEX[phone]
    return _frame_shares(labels, fps, count)


def visemes_of(phones: np.ndarray) -> np.ndarray:
    """(n, len(PHONES)) phone shares -> (n, len(VISEMES)) mouth-shape class shares."""
    membership = np.zeros((len(PHONES), len(VISEMES)), np.float32)
    for i, phone in enumerate(PHONES):
        membership[i, CLASS_OF[phone]] = 1.0
    return phones @ membership
