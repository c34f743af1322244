"""Wav2Lip's audio features, reproduced exactly as the public checkpoints were trained on them.

The model only works with these numbers: 16 kHz audio, pre-emphasis 0.97, STFT (n_fft 800, hop 200,
Hann window, centred with reflect padding), 80 Slaney mel bands 55..7600 Hz, dB, then clipped to
[-4, 4]. Pure numpy, so no librosa is needed; the Slaney filterbank formula is implemented below.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 800
HOP = 200
N_MELS = 80
FMIN, FMAX = 55.0, 7600.0
PREEMPHASIS = 0.97
MEL_FPS = SAMPLE_RATE / HOP  # 80 mel frames per second
WINDOW = 16  # mel frames per video frame (0.2 s of audio)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's auditory scale: linear below 1 kHz (3 bands per 200 Hz), logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    mel[log_part] = 15.0 + np.log(hz[log_part] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    log_part = mel >= 15.0
    hz[log_part] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_part] - 15.0))
    return hz


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(80, 401) triangular filters on the STFT bins, each scaled to unit area (Slaney norm)."""
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array([FMIN]))[0], _hz_to_mel(np.array([FMAX]))[0], N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights


def _stft_magnitude(wav: np.ndarray) -> np.ndarray:
    """|STFT| as (401, frames): centred frames (reflect padding), periodic Hann window."""
    padded = np.pad(wav, N_FFT // 2, mode="reflect")
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:n_frames]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    return np.abs(np.fft.rfft(frames * window, axis=1)).T


def melspectrogram(wav: np.ndarray) -> np.ndarray:
    """(80, 1 + len(wav) // 200) float32 features in [-4, 4] for a 16 kHz mono waveform."""
    wav = np.asarray(wav, dtype=np.float64).reshape(-1)
    if wav.size < N_FFT // 2 + 1:
        # reflect padding needs more samples than half a window; pad silence so short clips still work
        wav = np.pad(wav, (0, N_FFT // 2 + 1 - wav.size))
    emphasised = np.append(wav[:1], wav[1:] - PREEMPHASIS * wav[:-1])
    mel = mel_filterbank() @ _stft_magnitude(emphasised)
    db = 20.0 * np.log10(np.maximum(1e-5, mel)) - 20.0
    return np.clip(8.0 * (db + 100.0) / 100.0 - 4.0, -4.0, 4.0).astype(np.float32)


def mel_windows(mel: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """(n_frames, 1, 80, 16): the mel window for each video frame, starting at int(i * 80 / fps).

    Windows that would run past the end are clamped to the last 16 mel frames, as in training code.
    """
    if mel.shape[1] < WINDOW:
        mel = np.pad(mel, ((0, 0), (0, WINDOW - mel.shape[1])), constant_values=-4.0)
    last = mel.shape[1] - WINDOW
    starts = np.minimum((np.arange(n_frames) * MEL_FPS / fps).astype(np.int64), last)
    idx = starts[:, None] + np.arange(WINDOW)[None, :]
    return np.ascontiguousarray(mel[:, idx].transpose(1, 0, 2)[:, None])
