"""How much the streaming upload limits cost (prints a table).

Every multipart upload to /api/v1/jobs and /api/v1/batches is followed part by part while it
streams (python-multipart, the parser the route's form parsing uses too, so both agree on where
parts end), and an oversized part is cut off at its limit. This times that counter on random data
(a video's bytes look random) for a short and a browser-style boundary.

    .venv/bin/python bench/bench_limits.py [--mib 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from heygem.api.limits import _Parts
from heygem.config import Settings


def _counter(boundary: bytes, chunks: list[bytes], head: bytes) -> float:
    parts = _Parts(boundary, Settings(max_video_bytes=1 << 40))
    start = time.perf_counter()
    parts.feed(head)
    for chunk in chunks:
        assert parts.feed(chunk) is None
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=200, help="body size in MiB (1 MiB chunks)")
    args = ap.parse_args()
    chunks = [os.urandom(1 << 20) for _ in range(args.mib)]
    print(f"{args.mib} MiB of random data in 1 MiB chunks; median of 3 runs\n")
    print(f"{'boundary':<40} {'part counter':>14}")
    for boundary in (b"b", b"----WebKitFormBoundary7MA4YWxkTrZu0gW"):
        head = b"--" + boundary + b'\r\nContent-Disposition: form-data; name="template"; filename="t.mp4"\r\n\r\n'
        ours = statistics.median(_counter(boundary, chunks, head) for _ in range(3))
        print(f"{boundary.decode():<40} {args.mib / ours:>9.0f} MiB/s")


if __name__ == "__main__":
    main()
