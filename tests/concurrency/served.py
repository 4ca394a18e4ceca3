"""The app as gunicorn serves it in the race tests, at the instant the tests chose."""

from __future__ import annotations

import os
from datetime import datetime

from app import create_app

app = create_app()
_NOW = datetime.fromisoformat(os.environ["ART35_TEST_NOW"])
app.config["CLOCK"] = lambda: _NOW
