"""Several HTTP servers in one process: the UI and API, and the client's two services.

All of them run as uvicorn servers in ONE asyncio event loop, sharing one JobService. Why one loop:
the heavy work runs on the service's worker threads and sync routes run on the thread pool, so the
loop only moves bytes. One loop means one place that handles Ctrl-C / SIGTERM and shuts all three
down together (uvicorn's own signal capture is made for one server per process: each server
replaces the previous one's handler), and a server that stops for any reason takes the others
with it instead of leaving a half-up backend. Threads would need a loop and a shutdown path each;
separate processes would each need their own job service and workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator, Sequence

from ...config import Settings
from ...errors import HeyGemError
from .client import DesktopClient


def listen(host: str, port: int, what: str, setting: str) -> socket.socket:
    """A listening socket, or a HeyGemError that names the port and the setting that moves it."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        return socket.create_server((address, port), family=family)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise HeyGemError(f"cannot listen on {host}:{port} for {what}: {reason} "
                          f"(choose another port with {setting})") from exc


class Servers:
    """uvicorn servers for (app, listening socket) pairs; run() blocks until all have stopped."""

    def __init__(self, apps: Sequence[tuple[object, socket.socket]]) -> None:
        import uvicorn

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield  # signals are handled once for all servers, in run()

        self._pairs = [(_Server(uvicorn.Config(app, log_level="warning")), sock) for app, sock in apps]

    @property
    def started(self) -> bool:
        return all(server.started for server, _ in self._pairs)

    def stop(self) -> None:
        """Ask every server to finish its requests and stop; asked again (a second Ctrl-C), stop at once."""
        again = all(server.should_exit for server, _ in self._pairs)
        for server, _ in self._pairs:
            server.should_exit = True
            server.force_exit = server.force_exit or again

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        if threading.current_thread() is threading.main_thread():
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)

        async def one(server, sock: socket.socket) -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                for other, _ in self._pairs:  # one server down (or failed to start): the others follow
                    other.should_exit = True

        await asyncio.gather(*(one(server, sock) for server, sock in self._pairs))


def serve_desktop(settings: Settings, client: DesktopClient, ui: bool = True) -> int:
    """`heygem serve --heygem-ai`: UI + API on settings.port, the client's services on its ports."""
    from .. import create_app
    from ...service import JobService
    from .tts import tts_app
    from .video import video_app

    client.make_folders()
    sockets = [listen(settings.host, settings.port, "the web UI and API", "--port or HEYGEM_PORT"),
               listen(settings.host, client.video_port, "the HeyGem.ai video service",
                      "--heygem-ai-video-port or HEYGEM_AI_VIDEO_PORT"),
               listen(settings.host, client.tts_port, "the HeyGem.ai voice service",
                      "--heygem-ai-tts-port or HEYGEM_AI_TTS_PORT")]
    service = JobService(settings)
    service.start()
    try:
        apps = [create_app(settings, service, ui=ui), video_app(settings, service, client),
                tts_app(service.settings, client)]
        shown = f"[{settings.host}]" if ":" in settings.host else settings.host
        print(f"HeyGem on http://{shown}:{settings.port}/  (API docs: /docs)\n"
              f"HeyGem.ai desktop client backend: video service on :{client.video_port}, voice service on "
              f":{client.tts_port}, files in {client.root}", flush=True)
        Servers(list(zip(apps, sockets))).run()
    finally:
        service.close()
        for sock in sockets:
            sock.close()
    return 0
