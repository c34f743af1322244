"""The client's video service on its own port: the /easy routes, with the client's video folder
as the only media root and results written beside their template."""

from __future__ import annotations

from fastapi import FastAPI

from ... import __version__
from ...config import Settings
from ...service import JobService
from .. import easy, errors
from ..auth import TokenMiddleware
from ..limits import BodyLimitMiddleware
from ..origin import SameOriginMiddleware
from ..sources import Downloads
from .client import DesktopClient


def video_app(settings: Settings, service: JobService, client: DesktopClient) -> FastAPI:
    """/easy/submit and /easy/query for the desktop client; `service` belongs to the caller."""
    app = FastAPI(title="HeyGem (HeyGem.ai video service)", version=__version__,
                  openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = service.settings
    app.state.service = service
    app.state.media_roots = (client.video_dir,)
    app.state.desktop_client = client
    app.state.downloads = Downloads(settings)
    errors.install(app, formats=[easy.REPLY_FORMAT])
    app.include_router(easy.router)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SameOriginMiddleware, bound_host=settings.host, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(TokenMiddleware, token=settings.api_token)
    return app
