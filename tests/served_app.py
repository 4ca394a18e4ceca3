"""The app as tests/gunicorn.py serves it, frozen at the instant the test chose (ART35_TEST_NOW)."""

from __future__ import annotations

import os
from datetime import datetime

from app import create_app

app = create_app()
_NOW = datetime.fromisoformat(os.environ["ART35_TEST_NOW"])
app.config["CLOCK"] = lambda: _NOW
