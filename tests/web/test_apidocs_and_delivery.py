"""The API documentation lists every operation without JavaScript, is linked from every page's
footer; pages and JSON go out compressed; static files are fingerprinted and cached for a year."""

from __future__ import annotations

import gzip
import re

from common.api import api


def _operation_count(app) -> int:
    with app.app_context():
        paths = api.spec.to_dict()["paths"]
    methods = ("get", "post", "put", "patch", "delete")
    return sum(1 for item in paths.values() for m in item if m in methods)


def test_the_docs_page_lists_every_operation_with_every_body(app, client):
    resp = client.get("/api/v1/docs")
    page = resp.text
    assert resp.status_code == 200
    assert page.count('<details class="op"') == _operation_count(app)
    assert "<script" not in page  # nothing to fail in the browser
    assert "Request body: <code>multipart/form-data</code>" in page
    assert "Request body: <code>text/calendar</code>" in page
    assert "/reachability/campaigns/{campaign_id}/cancel" in page
    assert "'sha256-" in resp.headers["Content-Security-Policy"]


def test_every_page_links_the_api_docs(signed_in, client):
    for url in ("/", "/login"):
        footer = signed_in.get(url).text.split('class="site-footer"')[1]
        assert 'href="/api/v1/docs"' in footer


def test_pages_and_json_are_compressed(signed_in, france_rota):
    page = signed_in.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert b"Whom to call now" in gzip.decompress(page.data)
    brotli_page = signed_in.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert brotli_page.headers["Content-Encoding"] == "br"
    doc = signed_in.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert doc.headers["Content-Encoding"] == "gzip"


def test_a_compressed_etag_is_accepted_by_a_write(signed_in, france_rota, client):
    """If-Match with the ETag of a gzipped answer ('<tag>:gzip') names the same version."""
    from tests.conftest import make_user

    headers = make_user("secretariat")[1]
    read = client.get("/api/v1/parties/FR", headers={**headers, "Accept-Encoding": "gzip"})
    etag = read.headers["ETag"]
    assert etag.endswith(':gzip"')
    write = client.patch(
        "/api/v1/parties/FR",
        json={"name": "France"},
        headers={**headers, "If-Match": etag},
    )
    assert write.status_code == 200, write.text


def test_static_files_are_fingerprinted_and_immutable(signed_in):
    page = signed_in.get("/").text
    css = re.search(r'href="(/assets/web\.css\?v=[0-9a-f]{12})"', page).group(1)
    assert re.search(r'src="/assets/web\.js\?v=[0-9a-f]{12}"', page)
    resp = signed_in.get(css)
    resp.close()
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = signed_in.get("/assets/web.css?v=000000000000")
    stale.close()
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_a_favicon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
