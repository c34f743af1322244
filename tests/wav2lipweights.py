"""Made-up Wav2Lip weights, so the model can be exercised without the user's checkpoint."""

from __future__ import annotations

import zlib


def synthetic_state_dict() -> dict:
    """Deterministic, meaningless weights with the exact keys and shapes of the public checkpoints.

    The model needs no download to be exercised (tests, bench/bench_wav2lip.py). Each tensor is
    drawn from numpy's PCG64 seeded with the CRC-32 of its key, so any implementation can rebuild
    the same numbers: BN statistics and scales near identity, kernels scaled by 1/sqrt(fan_in).
    """
    import numpy as np
    import torch

    from heygem.engines.wav2lip.model import Wav2Lip

    state = {}
    for key, tensor in Wav2Lip().state_dict().items():
        shape = tuple(tensor.shape)
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        if key.endswith("num_batches_tracked"):
            state[key] = torch.zeros(shape, dtype=torch.int64)
            continue
        if key.endswith("running_var"):
            values = rng.uniform(0.5, 1.5, shape)
        elif key.endswith("running_mean"):
            values = rng.normal(0.0, 0.1, shape)
        elif len(shape) == 4:
            values = rng.normal(0.0, 1.0 / np.sqrt(shape[1] * shape[2] * shape[3]), shape)
        elif key.endswith("weight"):
            values = rng.uniform(0.8, 1.2, shape)
        else:
            values = rng.normal(0.0, 0.05, shape)
        state[key] = torch.from_numpy(np.asarray(values, dtype=np.float32))
    return state
