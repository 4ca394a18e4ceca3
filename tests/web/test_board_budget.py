"""The board with the demo directory (87 Parties) stays small on the wire: under 15 KB compressed,
and a refresh filtered to one Party is a compact answer."""

from __future__ import annotations

import gzip
import re

import pytest
from flask_migrate import upgrade

from common.db import db
from demo_cli import DEMO_PASSWORD
from tests.conftest import make_app

pytestmark = pytest.mark.own_app


def test_the_demo_board_is_under_15_kb_compressed(fresh_database_url):
    app = make_app(fresh_database_url)
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    client = app.test_client()
    login = client.get("/login").text
    token = re.search(r'name="_csrf" value="([^"]+)"', login)
    client.post(
        "/login",
        data={
            "email": "secretariat@art35.example",
            "password": DEMO_PASSWORD,
            "_csrf": token.group(1) if token else "",
        },
    )
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    rows = client.get("/board/rows?q=jp", headers={"Accept-Encoding": "gzip"})
    with app.app_context():
        db.engine.dispose()

    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.data).decode()
    assert html.count('<tr id="row-') >= 80
    assert len(page.data) < 15 * 1024, f"{len(page.data)} bytes compressed"
    one = gzip.decompress(rows.data).decode() if rows.headers.get("Content-Encoding") else rows.text
    assert one.count('<tr id="row-') == 1 and 'id="row-JP"' in one
    assert len(one) < 4 * 1024
