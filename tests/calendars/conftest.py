"""Calendar tests build on the rota tests' France and weekly rotas."""

from tests.rota.conftest import paris, weekly_rotas  # noqa: F401
