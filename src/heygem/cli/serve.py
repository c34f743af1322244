"""heygem serve: the web UI, the REST API and the HeyGem.ai-compatible routes on one port
(with --heygem-ai, also the HeyGem.ai desktop client's two services on their own ports)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..config import Settings, is_loopback

log = logging.getLogger("heygem.cli")


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the web UI and the HTTP API (one process, one port)")
    p.add_argument("--host", default=None,
                   help="address to listen on (default 127.0.0.1 or $HEYGEM_HOST; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860 or $HEYGEM_PORT)")
    p.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N (default auto or $HEYGEM_DEVICE)")
    p.add_argument("--no-ui", action="store_true", help="serve the HTTP API only")
    p.add_argument("--heygem-ai", action="store_true",
                   help="also be the backend of the HeyGem.ai desktop client: its video service (port 8383) "
                        "and voice service (port 18180), on the same host")
    p.add_argument("--heygem-ai-data", default=None,
                   help="the client's data folder (default ~/duix_avatar_data or $HEYGEM_AI_DATA)")
    p.add_argument("--heygem-ai-video-port", type=int, default=None,
                   help="port of the client's video service (default 8383 or $HEYGEM_AI_VIDEO_PORT)")
    p.add_argument("--heygem-ai-tts-port", type=int, default=None,
                   help="port of the client's voice service (default 18180 or $HEYGEM_AI_TTS_PORT)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from ..api import create_app
    from ..log import setup_logging

    settings = settings.with_overrides(host=args.host, port=args.port, device=args.device)
    # A server's console shows what it does (jobs queued, finished), not only warnings.
    setup_logging(settings.log_file, "DEBUG" if args.verbose else settings.log_level, console_level="INFO")
    if not is_loopback(settings.host) and not settings.api_token:
        log.warning("listening on %s without an access token: anyone who can reach this machine can use it; "
                    "set HEYGEM_API_TOKEN to require one", settings.host)
    if settings.allow_private_urls:
        log.warning("HEYGEM_ALLOW_PRIVATE_URLS is on: /easy URL downloads may reach loopback and private addresses")
    if args.heygem_ai:
        from ..api.heygem_ai import DesktopClient
        from ..api.heygem_ai.servers import serve_desktop

        client = DesktopClient.from_env().with_overrides(
            data_dir=args.heygem_ai_data and Path(args.heygem_ai_data), video_port=args.heygem_ai_video_port,
            tts_port=args.heygem_ai_tts_port)
        return serve_desktop(settings, client, ui=not args.no_ui)
    app = create_app(settings, ui=not args.no_ui)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"HeyGem on http://{shown}:{settings.port}/  (API docs: /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0
