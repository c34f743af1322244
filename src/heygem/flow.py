"""Stages that run at the same time: each in its own thread, linked by small bounded queues.

Decoding, rendering and encoding release the GIL for most of their work (FFmpeg, torch, OpenCV),
so a generation run this way takes about as long as its slowest stage instead of the sum of all.

    with Flow() as flow:
        decoded = flow.start("decode", read_batches())
        rendered = flow.start("render", map(render, decoded))
        for item in rendered:  # the last stage runs in the calling thread
            encode(item)

A stage that fails stops the others: its exception travels down the chain and is raised once, as
itself (same type and message), in the calling thread. Leaving the `with` block for any reason
stops every stage thread and waits for it, so no thread outlives the call.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_S = 0.05  # how often a blocked stage looks whether the flow was stopped


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


class Flow:
    """Stage threads with bounded queues between them; see the module doc."""

    def __init__(self, depth: int = 1):
        self.depth = depth  # items waiting between two stages; small keeps memory flat
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, name: str, items: Iterable[T], depth: int | None = None) -> Iterator[T]:
        """Iterate `items` in a new thread; returns the iterator of its results, in order. depth:
        how many results may wait for the consumer (default: the flow's)."""
        out: queue.Queue = queue.Queue(depth or self.depth)
        thread = threading.Thread(target=self._produce, args=(iter(items), out), name=f"heygem-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self._consume(out)

    def _produce(self, items: Iterator[T], out: queue.Queue) -> None:
        try:
            for item in items:
                if not self._put(out, item):
                    return
            self._put(out, _DONE)
        except BaseException as exc:  # handed to the consumer, which raises it; nothing is swallowed
            self._put(out, _Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # runs the generator's finally blocks in this thread

    def _put(self, out: queue.Queue, item: object) -> bool:
        while not self._stop.is_set():
            try:
                out.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self, source: queue.Queue) -> Iterator:
        while True:
            try:
                item = source.get(timeout=_POLL_S)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    def stop(self) -> None:
        """Ask every stage to end and wait for its thread (a stage ends after its current item)."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> "Flow":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
