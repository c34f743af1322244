"""Pocketsphinx all-phone decoding of audio pieces, each decoded as its own utterance: here, or by
worker processes that decode several pieces at the same time (the decoder holds Python's GIL, so
threads would take turns).

Decoders and worker processes are kept for the next job: loading the acoustic model costs ~0.2 s
of CPU and starting a worker ~0.3 s, which a service's many short jobs would pay every time. That
changes no label: a decoder's feature state is reset before each piece, so a piece decodes the same
whatever was decoded before it, and the same in a worker as here.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the workers run this module: importing numpy (its BLAS threads) would cost each ~0.2 s of CPU
    import numpy as np

log = logging.getLogger("heygem.phones")

Segments = list[tuple[str, int, int]]
"""(phone, first, last) 10 ms frames of one piece, in order."""
MAX_WORKERS = 4
KEPT_DECODERS = 2  # ~30 MB each
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # where `heygem` imports from, for the workers
NO_WORDS = Path(__file__).with_name("no_words.dict")
"""The decoder's dictionary. All-phone decoding looks up no words, but a decoder reads its whole
dictionary when it starts: the default, English's ~135,000 words, took ~65 ms of its ~70 ms start
(in every worker) and changed no label (the development set and the test media decoded both ways)."""

_lock = threading.Lock()
_idle_decoders: list = []
_idle_workers: list[_Worker] = []


def _new_decoder():
    try:
        from pocketsphinx import Config, Decoder, get_model_path
    except ImportError as exc:
        from ..errors import EngineUnavailable

        raise EngineUnavailable("phone decoding needs the pocketsphinx package: pip install 'pocketsphinx>=5'") from exc
    models = get_model_path()
    # Language weight ~2 and very wide beams: phone timing stays sensible on non-English speech.
    config = Config(hmm=f"{models}/en-us/en-us", allphone=f"{models}/en-us/en-us-phone.lm.bin",
                    dict=str(NO_WORDS), lw=2.0, beam=1e-20, pbeam=1e-20, loglevel="FATAL")
    return Decoder(config)


@contextmanager
def _decoder():
    """A kept decoder, or a new one; kept again if the work with it ends normally (one job thread
    at a time uses a decoder)."""
    with _lock:
        kept = _idle_decoders.pop() if _idle_decoders else None
    decoder = kept or _new_decoder()
    yield decoder
    with _lock:
        if len(_idle_decoders) < KEPT_DECODERS:
            _idle_decoders.append(decoder)


def _decoded(pcms: Iterable[bytes]) -> Iterator[Segments]:
    """Each piece of 16-bit audio decoded as its own utterance. The decoder's feature state (the
    cepstral-mean estimate it carries over from audio heard before) is reset before each piece."""
    with _decoder() as decoder:
        for pcm in pcms:
            decoder.reinit_feat()
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            yield [(seg.word, seg.start_frame, seg.end_frame) for seg in decoder.seg()]


def decoded_here(pieces: Iterable[np.ndarray]) -> list[Segments]:
    """Each piece of 16 kHz mono float audio decoded as its own utterance, in this process."""
    return list(_decoded(map(pcm16, pieces)))


def pcm16(samples: np.ndarray) -> bytes:
    """Float audio in [-1, 1] as the 16-bit samples pocketsphinx's process_raw reads."""
    import numpy as np

    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).tobytes()


def decode_pieces(pieces: list[np.ndarray]) -> list[Segments]:
    """Each piece decoded as its own utterance: by worker processes where there is more than one
    core, else here."""
    workers = min(len(pieces), MAX_WORKERS, cores())
    if workers < 2:
        return decoded_here(pieces)
    runs = [pieces[k * len(pieces) // workers : (k + 1) * len(pieces) // workers] for k in range(workers)]
    with ThreadPoolExecutor(workers) as threads:
        return [decoded for run in threads.map(_in_worker, runs) for decoded in run]


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Worker:
    """A `python -m heygem.analysis.phone_decoder` child process (a plain one: nothing of this
    process is forked or re-imported) that decodes the pieces it is sent."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
        self._errors = tempfile.TemporaryFile()  # a pipe nobody reads could fill and stall the worker
        # Started in the package's root: `-m` puts the working directory first on the import path,
        # where a file such as types.py or json.py would shadow what the worker imports.
        self._process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._errors, env=env, cwd=PACKAGE_ROOT)

    def decode(self, pieces: list[np.ndarray]) -> list[Segments]:
        decoded = []
        for pcm in map(pcm16, pieces):  # one piece at a time, so neither pipe fills while the other side waits
            self._process.stdin.write(len(pcm).to_bytes(8, "little") + pcm)
            self._process.stdin.flush()
            line = self._process.stdout.readline()
            if not line:
                self._process.wait()
                self._errors.seek(0)
                raise OSError(self._errors.read().decode(errors="replace")[-300:].strip()
                              or f"exit status {self._process.returncode}")
            decoded.append([tuple(segment) for segment in json.loads(line)])
        return decoded

    def close(self) -> None:
        """End of input lets the worker exit by itself; one that does not is killed."""
        try:
            self._process.stdin.close()
            self._process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._errors.close()


def _in_worker(pieces: list[np.ndarray]) -> list[Segments]:
    """The pieces decoded by a kept worker or a new one; here if that fails."""
    with _lock:
        worker = _idle_workers.pop() if _idle_workers else None
    try:
        worker = worker or _Worker()
        decoded = worker.decode(pieces)
    except (OSError, ValueError) as exc:
        log.warning("phone decoding worker failed (%s); decoding here", exc)
        if worker is not None:
            worker.close()
        return decoded_here(pieces)
    with _lock:
        kept = len(_idle_workers) < MAX_WORKERS
        if kept:
            _idle_workers.append(worker)
    if not kept:
        worker.close()
    return decoded


def close_workers() -> None:
    """Let the kept workers exit (at exit; tests)."""
    with _lock:
        workers = _idle_workers[:]
        _idle_workers.clear()
    for worker in workers:
        worker.close()


def _forget_after_fork() -> None:
    """A forked child must not talk to its parent's workers or share its decoders (or wait for a
    lock another thread of the parent held)."""
    global _lock
    _lock = threading.Lock()
    _idle_workers.clear()
    _idle_decoders.clear()


atexit.register(close_workers)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _serve() -> None:
    """The worker: length-prefixed 16-bit pieces on stdin -> a JSON line of segments per piece."""
    def received() -> Iterator[bytes]:
        source = sys.stdin.buffer
        while header := source.read(8):
            yield source.read(int.from_bytes(header, "little"))

    for segments in _decoded(received()):
        print(json.dumps(segments), flush=True)


if __name__ == "__main__":
    _serve()
    # Everything is written: the interpreter's teardown (~30 ms) would only delay the parent, which
    # waits for this exit at its own.
    os._exit(0)
