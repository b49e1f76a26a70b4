"""API docs come from the process itself: no page refers to a CDN."""

from __future__ import annotations

import re

from kernel import apidocs
from kernel.http import create_api
from services.insights.entrypoints.queries import QUERIES
from services.insights.entrypoints.routes import worker_openapi
from tests.auth_support import TestClient

EXTERNAL = re.compile(r"""(?:src|href)=["']?(https?:)?//""")


def test_a_service_serves_swagger_ui_and_redoc_from_its_own_assets() -> None:
    with TestClient(create_api("t", "d")) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            assert apidocs.ASSETS_URL in html
            assert not EXTERNAL.search(html), html
        asset = client.get(f"{apidocs.ASSETS_URL}/swagger-ui-bundle.js")
        assert asset.status_code == 200 and len(asset.content) > 100_000


def test_the_worker_pages_use_the_same_local_assets() -> None:
    for html in (apidocs.swagger_page("w"), apidocs.redoc_page("w")):
        assert apidocs.ASSETS_URL in html
        assert not EXTERNAL.search(html)
    assert apidocs.asset("swagger-ui.css") is not None
    assert apidocs.asset("../../etc/passwd") is None


def test_the_worker_document_lists_every_read_model() -> None:
    paths = worker_openapi()["paths"]
    assert {f"/insights/{name}" for name in QUERIES} <= set(paths)
