"""The rota tests' France (a contact point, four people, the secretariat's headers)."""

from tests.rota.conftest import paris  # noqa: F401 -- a fixture, used by name
