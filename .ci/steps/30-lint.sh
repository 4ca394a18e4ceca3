source "$(dirname "$0")/../lib.sh"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
