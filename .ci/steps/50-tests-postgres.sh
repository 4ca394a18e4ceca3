# The same suite (without the browser) on a fresh PostgreSQL database.
source "$(dirname "$0")/../lib.sh"
ensure_postgres
db="art35_ci_$$"
create_database "$db"
trap 'drop_database "$db"' EXIT
TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db" \
  "$PY" -m pytest -m "not browser" -p no:cacheprovider -q
