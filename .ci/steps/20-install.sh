# Install as README says: make's venv from the hashed lock (runtime + test tools), the project
# editable; then check that the lock holds every pin of requirements*.txt.
source "$(dirname "$0")/../lib.sh"
make dev
.venv/bin/python -m pytest -q -p no:cacheprovider tests/ops/test_lock.py
