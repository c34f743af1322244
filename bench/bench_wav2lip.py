"""Wav2Lip generator throughput: frames per second at several batch sizes, CPU fp32 and CUDA fp16.

Only the network is timed (inputs already on the device), with built weights: speed does not depend
on the values. Prints one table; each cell is the median of several timed runs after warm-up.

    python bench/bench_wav2lip.py [--batches 1 8 32 128] [--runs 5] [--devices cpu cuda]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the made-up weights live with the tests
from wav2lipweights import synthetic_state_dict  # noqa: E402

from heygem.engines.wav2lip.model import Wav2Lip  # noqa: E402


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def frames_per_second(model: Wav2Lip, batch: int, device: str, dtype: torch.dtype, runs: int) -> float:
    mel = torch.randn(batch, 1, 80, 16, device=device, dtype=dtype)
    face = torch.rand(batch, 6, 96, 96, device=device, dtype=dtype)
    times = []
    with torch.inference_mode():
        for i in range(runs + 2):  # two warm-up runs: cuDNN autotuning, allocator growth
            _sync(device)
            start = time.perf_counter()
            model(mel, face)
            _sync(device)
            if i >= 2:
                times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    args = parser.parse_args()

    configs = []
    for device in args.devices:
        if device == "cpu":
            configs.append(("cpu", torch.float32))
        elif torch.cuda.is_available():
            configs += [("cuda:0", torch.float32), ("cuda:0", torch.float16)]
    torch.backends.cudnn.benchmark = True

    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}", end="")
    if torch.cuda.is_available():
        print(f", GPU {torch.cuda.get_device_name(0)}", end="")
    print(f"\n{'device':<8} {'dtype':<8} " + " ".join(f"{'batch ' + str(b):>11}" for b in args.batches))
    state = synthetic_state_dict()
    for device, dtype in configs:
        model = Wav2Lip()
        model.load_state_dict(state)
        model = model.to(device=device, dtype=dtype).eval()
        cells = [frames_per_second(model, b, device, dtype, args.runs) for b in args.batches]
        name = str(dtype).removeprefix("torch.")
        print(f"{device:<8} {name:<8} " + " ".join(f"{fps:>7.1f} f/s" for fps in cells), flush=True)
        del model
        if device.startswith("cuda"):
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
