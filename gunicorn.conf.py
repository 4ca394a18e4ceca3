"""gunicorn reads this file when started in a checkout; the settings live in common/."""

from common.gunicorn_config import *  # noqa: F403
from common.gunicorn_config import child_exit, on_exit, on_starting  # noqa: F401
