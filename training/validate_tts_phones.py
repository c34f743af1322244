"""Should synthesised speech drive the mouth from the synthesiser's own phonemes or from decoding?

    python training/validate_tts_phones.py

No video exists of a synthetic voice, so the check is phonetic: the lips close on every p, b and m
and the mouth is widest on open vowels (a, ae, ah). For each offline voice it speaks the same
sentences, predicts the mouth opening with the shipped general model twice (its phone input once
decoded from the audio as for any recording, once taken from the synthesiser's timings) and prints,
in standard units of each prediction, the mean opening on the synthesiser's bilabial phonemes, on
its open vowels, and their difference (contrast: higher is better). The synthesiser's labels say
where the bilabials are in both columns; only the model's input differs.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from heygem.analysis.audio import SAMPLE_RATE, analyze_audio  # noqa: E402
from heygem.analysis.phones import PHONE_INDEX, ipa_phones, phone_shares, timed_phone_shares, visemes_of  # noqa: E402
from heygem.motion import general  # noqa: E402

FPS = Fraction(25)
TEXTS = {
    "en": "Welcome back to our weekly product update. This morning we will look at the new model, its price and "
          "the battery, which lasts about twice as long as before. Please remember to bring your own bag, "
          "because the shop stopped giving them away. My brother Bob moved to Boston in May, and maybe "
          "he will open a bakery by the bay. Thank you very much for watching, and see you next time. "
          "Our teacher asked us to compare both poems and to explain what the author meant by hope.",
    "zh": "欢迎大家收看今天的节目。北京的冬天非常冷，妈妈买了一本书给我。这款产品的价格比以前便宜了一半，"
          "电池也可以用两天。我们明天上午八点在公司门口见面，请不要迟到。谢谢大家的关注，我们下次再见。"
          "老师说，学习语言最重要的是每天坚持练习。",
}
VOICES = ("en-joe", "en-espeak", "en-espeak-female", "zh-espeak", "zh-espeak-female")
BILABIAL = {PHONE_INDEX[p] for p in ("P", "B", "M")}
OPEN_VOWEL = {PHONE_INDEX[p] for p in ("AA", "AE", "AH")}


def _frames_in(phonemes, kinds: set[int], count: int) -> np.ndarray:
    """Video frames whose midpoint lies in a phoneme all of whose phones are of `kinds`."""
    mids = (np.arange(count) + 0.5) / float(FPS)
    inside = np.zeros(count, bool)
    for start, end, label in phonemes:
        if all(PHONE_INDEX[p] in kinds for p in ipa_phones(label) or ["SIL"]):
            inside |= (mids >= start) & (mids < end)
    return inside


def _resampled(samples: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    divisor = np.gcd(rate, SAMPLE_RATE)
    return resample_poly(samples, SAMPLE_RATE // divisor, rate // divisor).astype(np.float32)


def main() -> int:
    from heygem.tts import synthesize

    model = general.load()
    column = model.names.index("open")
    print(f"{'voice':18} {'s':>5} {'agree':>6} | {'decoded: closed':>15} {'open':>6} {'contrast':>8} | "
          f"{'timings: closed':>15} {'open':>6} {'contrast':>8}")
    better = 0
    for name in VOICES:
        speech = synthesize(TEXTS[name[:2]], name)
        audio = analyze_audio(_resampled(speech.samples, speech.sample_rate), FPS)
        decoded = phone_shares(audio.samples, FPS, audio.frame_count)
        timed = timed_phone_shares(speech.phonemes, FPS, audio.frame_count)
        closed = _frames_in(speech.phonemes, BILABIAL, audio.frame_count)
        wide = _frames_in(speech.phonemes, OPEN_VOWEL, audio.frame_count)
        spoken = timed[:, 0] < 0.5
        agree = float(np.mean(visemes_of(decoded)[spoken].argmax(1) == visemes_of(timed)[spoken].argmax(1)))
        row = []
        for phones in (decoded, timed):
            opening = model.predict(replace(audio, phones=phones))[:, column]
            z = (opening - opening.mean()) / (opening.std() + 1e-9)
            row.append((float(z[closed].mean()), float(z[wide].mean())))
        (dc, do), (tc, to) = row
        better += (to - tc) > (do - dc)
        print(f"{name:18} {speech.duration:5.1f} {agree:6.0%} | {dc:15.2f} {do:6.2f} {do - dc:8.2f} | "
              f"{tc:15.2f} {to:6.2f} {to - tc:8.2f}")
    print(f"\nthe synthesiser's timings give the higher contrast for {better} of {len(VOICES)} voices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
