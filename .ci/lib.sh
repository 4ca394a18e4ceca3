# Shared by .ci/steps/*.sh: helpers to reach PostgreSQL and make throwaway databases.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python

ensure_postgres() {
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  fi
}

# create_database NAME: a fresh, empty database on the local server.
create_database() {
  "$PY" - "$1" <<'PY'
import sys, psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{sys.argv[1]}"')
PY
}

drop_database() {
  "$PY" - "$1" <<'PY' || true
import sys, psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
PY
}
