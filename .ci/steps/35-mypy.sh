# Types: mypy over the app's packages as pyproject.toml configures it (strict on common/ and
# rota/resolution.py).
source "$(dirname "$0")/../lib.sh"
.venv/bin/mypy
