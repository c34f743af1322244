"""Driving audio -> per-video-frame loudness, speech/silence mask and spectral features."""

from __future__ import annotations

import logging
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..types import AudioAnalysis

log = logging.getLogger("heygem.analysis")

SAMPLE_RATE = 16000
MEL_BANDS = 40
HOP = 160  # 10 ms
WINDOW = 400  # 25 ms
N_FFT = 512
FFT_ROWS = 250  # 10 ms frames transformed at a time: their temporaries stay in the CPU's caches


def frame_count(samples: int, sample_rate: int, fps: Fraction) -> int:
    """Output video frames for this much audio: its duration rounded to whole frames (at least 1)."""
    return max(1, int(round(samples / sample_rate * float(fps))))


def frame_loudness(samples: np.ndarray, sample_rate: int, fps: Fraction, count: int, window_s: float = 0.04) -> np.ndarray:
    """RMS level in dBFS of a window centred on each video frame's midpoint."""
    centres = ((np.arange(count) + 0.5) / float(fps) * sample_rate).astype(np.int64)
    half = int(window_s * sample_rate / 2)
    power = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    lo = np.clip(centres - half, 0, len(samples))
    hi = np.clip(centres + half, 0, len(samples))
    mean = (power[hi] - power[lo]) / np.maximum(hi - lo, 1)
    return (10 * np.log10(mean + 1e-10)).astype(np.float32)


@lru_cache(maxsize=4)
def _mel_filters(bands: int = MEL_BANDS, fmin: float = 60.0, fmax: float = 7600.0, warp: float = 1.0) -> np.ndarray:
    """Triangular filters on the HTK mel scale, (bands, N_FFT // 2 + 1); warp != 1 scales the
    frequency axis (a voice with a vocal tract that much longer or shorter, for training)."""
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    edges = hz(np.linspace(mel(fmin), mel(fmax), bands + 2))
    bins = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE) * warp
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return np.maximum(0, np.minimum(rising, falling)).astype(np.float32)


def log_mel(samples: np.ndarray, block: int = 3000, warp: float = 1.0) -> np.ndarray:
    """(frames at 100 Hz, MEL_BANDS) log mel energies of 16 kHz audio; frame k is centred at k * 10 ms.
    Computed in blocks of `block` frames (30 s) in float32 so memory stays flat for long audio.
    warp: frequency-axis scale of the filters (see _mel_filters)."""
    padded = np.pad(samples.astype(np.float32), (WINDOW // 2, WINDOW // 2 + HOP))
    count = max(1, (len(padded) - WINDOW) // HOP + 1)
    window = np.hanning(WINDOW).astype(np.float32)
    filters = _mel_filters(warp=warp).T
    out = np.empty((count, MEL_BANDS), np.float32)
    power = np.empty((min(block, count), N_FFT // 2 + 1), np.float32)
    for start in range(0, count, block):
        stop = min(start + block, count)
        # FFT_ROWS at a time: a whole block's FFT temporaries (float64 inside numpy, ~50 MB) were
        # fresh pages from the kernel every time, ten times the CPU. The filters still go per block.
        for a in range(start, stop, FFT_ROWS):
            b = min(a + FFT_ROWS, stop)
            idx = np.arange(WINDOW)[None, :] + HOP * np.arange(a, b)[:, None]
            power[a - start:b - start] = np.abs(np.fft.rfft(padded[idx] * window, n=N_FFT, axis=1)) ** 2
        out[start:stop] = np.log(power[:stop - start] @ filters + 1e-8)
    return out


def per_video_frame(features_100hz: np.ndarray, fps: Fraction, count: int) -> np.ndarray:
    """Average 10 ms feature rows over each video frame's span -> (count, F)."""
    edges = np.round(np.arange(count + 1) / float(fps) * 100).astype(np.int64)
    edges = np.clip(edges, 0, len(features_100hz))
    sums = np.concatenate([np.zeros((1, features_100hz.shape[1])), np.cumsum(features_100hz, axis=0)])
    width = np.maximum(edges[1:] - edges[:-1], 1)[:, None]
    rows = (sums[np.minimum(edges[:-1] + width[:, 0], len(features_100hz))] - sums[edges[:-1]]) / width
    return rows.astype(np.float32)


def energy_vad(loudness_db: np.ndarray, floor_db: float = -50.0, margin_db: float = 18.0) -> np.ndarray:
    """Speech where a frame is well above the recording's noise floor (its 10th percentile)."""
    noise = float(np.percentile(loudness_db, 10))
    peak = float(np.percentile(loudness_db, 95))
    threshold = max(floor_db, min(noise + margin_db, peak - 12.0))
    return loudness_db > threshold


def speech_probability(samples: np.ndarray, fps: Fraction, count: int) -> np.ndarray | None:
    """Silero VAD speech probability per video frame (its model ships in the silero-vad wheel);
    None when the package is missing."""
    try:
        session = _silero()
    except ImportError:
        log.warning("silero-vad is not installed; using an energy threshold for speech detection")
        return None
    chunk, context = 512, 64  # 32 ms at 16 kHz, the size the model takes, after 4 ms of the chunk before
    padded = np.pad(samples.astype(np.float32), (context, chunk - len(samples) % chunk))
    state, rate = np.zeros((2, 1, 128), np.float32), np.array(SAMPLE_RATE, np.int64)
    probs = np.empty((len(padded) - context) // chunk, np.float32)
    for k in range(len(probs)):
        window = padded[None, k * chunk:(k + 1) * chunk + context]
        out, state = session.run(None, {"input": window, "state": state, "sr": rate})
        probs[k] = out[0, 0]
    times = (np.arange(count) + 0.5) / float(fps)
    return np.interp(times, (np.arange(len(probs)) + 0.5) * chunk / SAMPLE_RATE, probs).astype(np.float32)


@lru_cache(maxsize=1)
def _silero():
    """Silero VAD's ONNX model from the silero-vad wheel, in ONNX Runtime on one thread. The same
    model through torch.jit (what the package itself loads) gives the same probabilities within
    1e-5 at a third of the cost, and without importing torch (~1.3 s) at all."""
    import importlib.util
    import os

    import onnxruntime

    spec = importlib.util.find_spec("silero_vad")  # found, not imported: its __init__ imports torch
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("silero_vad")
    path = os.path.join(spec.submodule_search_locations[0], "data", "silero_vad.onnx")
    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = options.intra_op_num_threads = 1  # 32-ms chunks: threads cost more than they give
    return onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def _fill_short(mask: np.ndarray, value: bool, max_len: int) -> np.ndarray:
    """Flip runs of `value` no longer than max_len frames (inside the clip) to the opposite."""
    out = mask.copy()
    i = 0
    while i < len(mask):
        j = i
        while j < len(mask) and mask[j] == mask[i]:
            j += 1
        if mask[i] == value and j - i <= max_len and i > 0 and j < len(mask):
            out[i:j] = not value
        i = j
    return out


def speech_mask(samples: np.ndarray, loudness: np.ndarray, fps: Fraction) -> np.ndarray:
    """Speech where the VAD and the level agree. Pauses shorter than 250 ms count as speech: within
    a phrase the mouth does not shut for them (coarticulation). Blips under 80 ms are dropped."""
    probability = speech_probability(samples, fps, len(loudness))
    if probability is None:
        speech = energy_vad(loudness)
    else:
        speech = (probability > 0.5) & (loudness > float(np.percentile(loudness, 5)) + 6)
    frames = lambda seconds: max(1, int(round(seconds * float(fps))))  # noqa: E731
    speech = _fill_short(speech, False, frames(0.25))
    return _fill_short(speech, True, frames(0.08))


def analyze_audio(samples: np.ndarray, fps: Fraction, sample_rate: int = SAMPLE_RATE) -> AudioAnalysis:
    count = frame_count(len(samples), sample_rate, fps)
    loudness = frame_loudness(samples, sample_rate, fps, count)
    return AudioAnalysis(
        samples=samples,
        sample_rate=sample_rate,
        fps=fps,
        frame_count=count,
        loudness=loudness,
        speech=speech_mask(samples, loudness, fps),
        features=per_video_frame(log_mel(samples), fps, count),
    )
