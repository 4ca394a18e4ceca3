"""A browsable page for the OpenAPI document, self-contained (no CDN: works on closed networks)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("apidocs", __name__, template_folder="templates")


@bp.get("/api/v1/docs")
def docs() -> str:
    """Readable without credentials, like the document itself."""
    return render_template("common/apidocs.html")
