"""Page fixtures shared with the web tests (a signed-in session, France with a weekly rota)."""

from tests.web.conftest import france_rota, now, secretariat_user  # noqa: F401
