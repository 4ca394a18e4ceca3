"""The rota tests' fixtures: France with four people; its weekly rotas."""

from tests.rota.conftest import paris, weekly_rotas  # noqa: F401 -- fixtures, used by name
