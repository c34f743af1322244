"""create_app(): the FastAPI application (REST API, HeyGem.ai-compatible routes, optionally the web UI).

The app holds one JobService. When the caller passes none, the app makes one and runs it for the
app's lifetime (started and stopped by the lifespan); a service passed in belongs to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from ..config import Settings
from ..service import JobService
from . import easy, errors, jobs, system
from .auth import TokenMiddleware
from .limits import BodyLimitMiddleware
from .origin import SameOriginMiddleware
from .sources import Downloads, media_roots
from .staging import clear_staging

log = logging.getLogger("heygem.api")

DESCRIPTION = """\
Self-hosted digital-human video generation: a template video of a person plus new speech gives the
same person saying the new words.

* `/api/v1/...`: the REST API (jobs, batches, results).
* `/easy/submit`, `/easy/query`: drop-in compatible with HeyGem.ai's video service.

When the server has an access token (`HEYGEM_API_TOKEN`), send it as `Authorization: Bearer <token>`.
"""


def create_app(settings: Settings, service: JobService | None = None, *, ui: bool = False) -> FastAPI:
    """The whole HTTP front end on one app. `ui=True` also mounts the web UI at "/" when it is installed."""
    owned = service is None
    service = service or JobService(settings)
    # The service resolves the data dir; serve and check files against that same absolute path.
    settings = service.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clear_staging(settings)  # leftovers of a crash mid-upload
        default_media = settings.data_dir / "media"
        if app.state.media_roots == (default_media.resolve(),):
            default_media.mkdir(parents=True, exist_ok=True)  # so people see where files go
        if owned:
            service.start()
        try:
            yield
        finally:
            if owned:
                service.close()

    app = FastAPI(
        title="HeyGem", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        openapi_tags=[
            {"name": "jobs", "description": "Generate videos and follow their progress."},
            {"name": "system", "description": "Health and device."},
            {"name": "heygem.ai", "description": "Routes compatible with HeyGem.ai's video service "
                                                 "(always HTTP 200; the body's `code` says what happened)."},
        ],
    )
    app.state.settings = settings
    app.state.service = service
    app.state.media_roots = media_roots(settings)
    app.state.downloads = Downloads(settings)
    errors.install(app, formats=[easy.REPLY_FORMAT])
    app.include_router(jobs.router, prefix="/api/v1")
    app.include_router(system.router, prefix="/api/v1")
    app.include_router(easy.router)
    if ui:
        from .ui import mount_ui

        mount_ui(app, service, settings)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SameOriginMiddleware, bound_host=settings.host, allowed_hosts=settings.allowed_hosts)
    # Added last, so it runs first: no route, upload or UI page is reached without the token.
    app.add_middleware(TokenMiddleware, token=settings.api_token)
    return app
