"""Delivery: compressed pages and JSON, fingerprinted static files cached for a year, a favicon."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress

from web import bp

#: Cached for a year and never revalidated: the URL changes whenever the content does.
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/problem+json",
    "image/svg+xml",
]

compress = Compress()


@lru_cache(maxsize=64)
def _fingerprint(path: str, mtime_ns: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def fingerprint(filename: str) -> str | None:
    """The first 12 hex digits of the static file's SHA-256 (recomputed when it changes)."""
    folder = bp.static_folder or ""
    path = os.path.join(folder, filename)
    try:
        mtime_ns = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return _fingerprint(path, mtime_ns)


def _static_url_defaults(endpoint: str, values: dict[str, Any]) -> None:
    """`url_for('web.static', filename=…)` gains `?v=<content hash>`."""
    if endpoint == "web.static" and "v" not in values and "filename" in values:
        digest = fingerprint(values["filename"])
        if digest:
            values["v"] = digest


@bp.after_request
def _cache_fingerprinted(resp: Response) -> Response:
    """A static file asked for by its current hash is cached for good; others are revalidated."""
    if request.endpoint == "web.static" and resp.direct_passthrough:
        # Read the (small) file and close it here: compression replaces the body later, and
        # a file left to be closed with the response leaks when a 304 drops that response.
        source = resp.response
        try:
            body = b"".join(source)  # type: ignore[arg-type]  # a file's bytes, never str
        finally:
            getattr(source, "close", lambda: None)()
        resp.direct_passthrough = False
        resp.set_data(body)
    if request.endpoint == "web.static" and resp.status_code == 200:
        asked = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if asked and asked == fingerprint(filename):
            resp.headers["Cache-Control"] = IMMUTABLE
    return resp


def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says: answer with the SVG icon."""
    with open(os.path.join(bp.static_folder or "", "favicon.svg"), "rb") as handle:
        resp = Response(handle.read(), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


def init_assets(app: Flask) -> None:
    """Compression (registered first so it runs after every other response hook), fingerprints."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    compress.init_app(app)
    app.url_defaults(_static_url_defaults)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
