# schemathesis (pinned in requirements-dev.txt) over the whole OpenAPI document, every check and
# the stateful phase, against gunicorn serving the demo data with a secretariat token: once on
# SQLite, once on a fresh PostgreSQL database. Both databases are prepared at once, then each is
# fuzzed for at most ST_SECONDS (default 60), 25 cases per operation and phase: about four
# minutes in all. Zero failures wanted.
source "$(dirname "$0")/../lib.sh"
ensure_postgres
ST_SECONDS="${ST_SECONDS:-60}"
work="$(mktemp -d)"
pg_db="art35_st_$$"
server=""

stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" && wait "$server" 2>/dev/null || true
  fi
  server=""
}
cleanup() { stop_server; drop_database "$pg_db"; rm -rf "$work"; }
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# environment NAME DATABASE_URL: what the commands and the server of one run read.
environment() {
  export DATABASE_URL="$2" FLASK_APP=app SECRET_KEY="schemathesis-ci-$$-0123456789abcdef"
  export RATELIMIT_ENABLED=false ART35_INSTANCE_PATH="$work/instance-$1"
}

# prepare NAME DATABASE_URL: migrate and load the demo; `demo load` ends with a secretariat token.
prepare() {
  environment "$1" "$2"
  .venv/bin/flask db upgrade >"$work/$1-setup.log" 2>&1 &&
    .venv/bin/flask demo load >"$work/$1-demo.log" 2>&1 &&
    tail -1 "$work/$1-demo.log" >"$work/$1.token"
}

# fuzz NAME DATABASE_URL: serve, run schemathesis, stop; prints one summary line.
fuzz() {
  local name="$1" port rc
  environment "$1" "$2"
  port="$(free_port)"
  .venv/bin/gunicorn --workers 2 --timeout 60 --bind "127.0.0.1:$port" 'app:create_app()' \
    >"$work/$name-server.log" 2>&1 &
  server=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
  # One worker: hypothesis' lambda descriptions call compile(), which CPython 3.11 does not keep
  # thread-safe (SystemError "AST constructor recursion depth mismatch" with 2 workers).
  # filter_too_much/too_slow are hypothesis' complaints about generation speed (a date-time with
  # the year-window pattern is found by filtering), not about the API.
  set +e
  .venv/bin/schemathesis --config-file tests/api/schemathesis.toml run \
    "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks all --max-time "$ST_SECONDS" --max-examples 25 --workers 1 --seed 35 \
    --suppress-health-check filter_too_much,too_slow --request-timeout 30 \
    -H "Authorization: Bearer $(cat "$work/$name.token")" \
    --report ndjson --report-ndjson-path "$work/$name.ndjson" >"$work/$name.txt" 2>&1
  rc=$?
  set -e
  stop_server
  "$PY" tests/api/st_summary.py "$name" "$work/$name.txt"
  sed -n '/^=\{5,\} SUMMARY/,$p' "$work/$name.txt"
  if [ "$rc" -ne 0 ]; then
    sed -n '/^=\{5,\} \(FAILURES\|ERRORS\)/,/^=\{5,\} \(WARNINGS\|SUMMARY\)/p' "$work/$name.txt" | head -300
    grep -E "Traceback|\"level\": \"error\"" "$work/$name-server.log" | head -20 || true
  fi
  return "$rc"
}

create_database "$pg_db"
sqlite_url="sqlite:///$work/schemathesis.sqlite"
pg_url="postgresql://postgres@127.0.0.1:5432/$pg_db"
(prepare sqlite "$sqlite_url") & sqlite_setup=$!
(prepare postgresql "$pg_url") & pg_setup=$!
status=0
wait "$sqlite_setup" || { echo "SQLite setup failed"; cat "$work"/sqlite-*.log; status=1; }
wait "$pg_setup" || { echo "PostgreSQL setup failed"; cat "$work"/postgresql-*.log; status=1; }
[ "$status" -eq 0 ] || exit 1
fuzz sqlite "$sqlite_url" || status=1
fuzz postgresql "$pg_url" || status=1
exit "$status"
