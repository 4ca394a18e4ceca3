"""Security headers on every response: API, pages, errors, feeds, webhooks and static files.

One app-wide `after_request` (it runs after the blueprints' own), so a response that already
chose a header (the pages' strict CSP, a feed's validators) keeps it; everything else gets the
defaults below. See docs/security.md for the policy and why each header is there.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, current_app, request

# Nothing here is ever meant to be framed, sniffed into another type, or given device access.
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
    ),
    "X-Frame-Options": "DENY",
}
# Non-HTML answers (JSON, iCal, problems) load nothing: the tightest policy fits them all.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Pages load only their own scripts and styles: no CDN, no inline code (closed networks, XSS).
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
#: Blueprints whose answers are the server-rendered pages.
PAGE_BLUEPRINTS = frozenset({"web", "mail_links"})
HSTS = "max-age=31536000; includeSubDomains"
# Personal data (contact details, rotas, audit) must never be stored by any cache.
NO_STORE = "no-store"
# Feeds keep their ETag/Last-Modified for cheap revalidation but never sit in a shared cache.
FEED_CACHE = "private, no-cache"
STATIC_ENDPOINTS = frozenset({"static", "web.static"})
# Self-contained pages outside `web` whose inline script and style are allowed by their hash.
HASHED_PAGES = frozenset({"apidocs.docs"})
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def _hashed_csp(resp: Response) -> str:
    """A CSP allowing exactly this page's own inline script and style (no 'unsafe-inline')."""
    found: dict[str, list[str]] = {"script": [], "style": []}
    for tag, body in _INLINE.findall(resp.get_data(as_text=True)):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        found[tag].append(f"'sha256-{digest}'")
    scripts = " ".join(found["script"]) or "'none'"
    styles = " ".join(found["style"]) or "'none'"
    return (
        f"default-src 'none'; connect-src 'self'; script-src {scripts}; style-src {styles}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def _is_feed(resp: Response) -> bool:
    return request.endpoint is not None and request.endpoint.startswith("calendar_feeds.")


def security_headers(resp: Response) -> Response:
    """Add the app-wide headers; keep any a view set itself (pages' CSP, feeds' validators)."""
    page = request.blueprint in PAGE_BLUEPRINTS
    if page:
        resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint not in STATIC_ENDPOINTS:
            resp.vary.add("Cookie")
    for key, value in BASE_HEADERS.items():
        resp.headers.setdefault(key, value)
    csp = resp.headers.get("Content-Security-Policy")
    if csp is None and request.endpoint in HASHED_PAGES and not resp.direct_passthrough:
        resp.headers["Content-Security-Policy"] = _hashed_csp(resp)
    elif csp is None:
        resp.headers["Content-Security-Policy"] = DEFAULT_CSP
    elif "frame-ancestors" not in csp:
        resp.headers["Content-Security-Policy"] = csp.rstrip("; ") + "; frame-ancestors 'none'"
    if current_app.config.get("PUBLIC_BASE_URL", "").startswith("https://"):
        resp.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint in STATIC_ENDPOINTS:
        return resp  # the app's own scripts and styles: no personal data, caching is fine
    if _is_feed(resp):
        cache = resp.headers.get("Cache-Control", "")
        if "no-store" not in cache and "private" not in cache:
            resp.headers["Cache-Control"] = FEED_CACHE
        return resp
    cache = resp.headers.get("Cache-Control", "")
    if "no-store" not in cache:
        resp.headers["Cache-Control"] = (
            "private, no-store" if "private" in cache or not cache else NO_STORE
        )
    return resp


def init_headers(app: Flask) -> None:
    """Register the app-wide header policy."""
    app.after_request(security_headers)
