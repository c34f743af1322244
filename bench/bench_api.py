"""How long the HTTP API takes to accept an upload, by template size (prints a table).

POST /api/v1/jobs streams the file to a staging folder, checks its content with the decoder,
and the job service copies it into uploads/. This measures that path on a real server
(127.0.0.1, uvicorn) with lossless noise videos of growing size, and the decoder check alone.

    .venv/bin/python bench/bench_api.py [--sizes 10 50 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import httpx
import numpy as np
import uvicorn

from heygem.api import create_app
from heygem.config import Settings
from heygem.units import MB
from heygem.media.decode import probe_video


def noise_video(path: Path, megabytes: int) -> Path:
    """An FFV1 (lossless) video of random frames: about 0.9 MB per 640x480 frame."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        i = written = 0
        while written < megabytes * MB:
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (480, 640, 3), np.uint8), format="rgb24")
            frame.pts = i
            packets = stream.encode(frame)
            written += sum(p.size for p in packets)
            container.mux(packets)
            i += 1
        container.mux(stream.encode(None))
    return path


def tone(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=16000)
        stream.layout = "mono"
        samples = (0.2 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame) + stream.encode(None):
            container.mux(packet)
    return path


def serve(settings: Settings) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200], help="template sizes in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data", device="cpu", max_video_bytes=max(args.sizes) * 2 * MB)
        url, server, thread = serve(settings)
        audio = tone(folder / "a.wav").read_bytes()
        print(f"{'template MB':>11} {'probe s':>8} {'POST s':>7} {'MB/s':>7}")
        with httpx.Client(base_url=url, timeout=600) as client:
            for size in args.sizes:
                video = noise_video(folder / f"t{size}.mkv", size)
                real_mb = video.stat().st_size / MB
                start = time.perf_counter()
                probe_video(video)
                probe_s = time.perf_counter() - start
                with video.open("rb") as f:
                    start = time.perf_counter()
                    r = client.post("/api/v1/jobs", files={"template": (video.name, f), "audio": ("a.wav", audio)},
                                    data={"engine": "loop"})
                    post_s = time.perf_counter() - start
                r.raise_for_status()
                client.post(f"/api/v1/jobs/{r.json()['id']}/cancel")
                print(f"{real_mb:11.0f} {probe_s:8.2f} {post_s:7.2f} {real_mb / post_s:7.0f}")
                video.unlink()
        server.should_exit = True
        thread.join()
    print(f"({os.cpu_count()} CPUs; {sys.platform})")


if __name__ == "__main__":
    main()
