"""The web interface: server-rendered pages over the same services as the JSON API."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)


def register(app: Flask) -> None:
    """Attach the pages; importing the view modules adds their routes to `bp`."""
    from web import (  # noqa: F401 -- imported for their routes
        account_security,
        auth_views,
        board,
        calendar_pages,
        campaign_email,
        favourites,
        freshness_pages,
        models,
        network_settings,
        party,
        people,
        reachability_pages,
        rota_editing,
        secretariat,
        session,
    )
    from web.formatting import init_formatting
    from web.labels import init_labels

    calendar_pages.register_hooks()
    reachability_pages.register_hooks()
    freshness_pages.init_freshness_pages(app)
    network_settings.register_hooks()
    init_formatting(app)
    init_labels(app)
    app.register_blueprint(bp)
