"""API documentation pages served by the process itself, never from a CDN.

FastAPI's default ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from the internet, so
on a machine without it the pages stay blank. The assets come from the
``fastapi-offline`` package instead; the FastAPI services use its app factory, and the
insights worker (aiohttp under faust) serves the same assets and pages through these
helpers.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

ASSETS_URL = "/static-offline-docs"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}


def swagger_page(title: str, openapi_url: str = "/openapi.json") -> str:
    """The Swagger UI page for ``openapi_url``, its scripts served from ``ASSETS_URL``."""
    return bytes(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        ).body
    ).decode()


def redoc_page(title: str, openapi_url: str = "/openapi.json") -> str:
    return bytes(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        ).body
    ).decode()


def asset(name: str) -> tuple[bytes, str] | None:
    """One documentation asset (content, media type), or None for any other name."""
    if name not in ASSET_TYPES:
        return None
    return (ASSETS_DIR / name).read_bytes(), ASSET_TYPES[name]
