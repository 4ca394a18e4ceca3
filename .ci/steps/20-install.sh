# Install as README says (make's venv).
source "$(dirname "$0")/../lib.sh"
make .venv/.installed
