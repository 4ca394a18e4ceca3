# The README's test command: the suite on SQLite, browser tests included.
source "$(dirname "$0")/../lib.sh"
make test
