# schemathesis (pinned in requirements-dev.txt) over the whole OpenAPI document, every check and
# the stateful phase, against gunicorn serving the demo data with a secretariat token: once on
# SQLite, once on a fresh PostgreSQL database. Zero failures wanted; each run is time-boxed.
source "$(dirname "$0")/../lib.sh"
ensure_postgres
ST_SECONDS="${ST_SECONDS:-45}"
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

# run_one NAME DATABASE_URL: serve, fuzz, stop; prints a summary line, returns non-zero on failures.
run_one() {
  local name="$1" url="$2" port token rc
  port="$(free_port)"
  export DATABASE_URL="$url" FLASK_APP=app SECRET_KEY="schemathesis-ci-$$-0123456789abcdef"
  export RATELIMIT_ENABLED=false ART35_INSTANCE_PATH="$work/instance-$name"
  .venv/bin/flask db upgrade >"$work/$name-setup.log" 2>&1
  # `demo load` ends with a fresh API token of the secretariat.
  .venv/bin/flask demo load >"$work/$name-demo.log" 2>&1
  token="$(tail -1 "$work/$name-demo.log")"
  .venv/bin/gunicorn --workers 2 --timeout 60 --bind "127.0.0.1:$port" 'app:create_app()' \
    >"$work/$name-server.log" 2>&1 &
  server=$!
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
  set +e
  .venv/bin/schemathesis --config-file tests/api/schemathesis.toml run \
    "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks all --max-time "$ST_SECONDS" --workers 2 --seed 35 --request-timeout 30 \
    -H "Authorization: Bearer $token" \
    --report ndjson --report-ndjson-path "$work/$name.ndjson" >"$work/$name.txt" 2>&1
  rc=$?
  set -e
  stop_server
  "$PY" tests/api/st_summary.py "$name" "$work/$name.txt" "$work/$name.ndjson"
  if [ "$rc" -ne 0 ]; then
    sed -n '/^=\{5,\} FAILURES/,$p' "$work/$name.txt" | head -300
    grep -E "Traceback|ERROR" "$work/$name-server.log" | head -20 || true
  fi
  return "$rc"
}

create_database "$pg_db"
status=0
run_one sqlite "sqlite:///$work/schemathesis.sqlite" || status=1
run_one postgresql "postgresql://postgres@127.0.0.1:5432/$pg_db" || status=1
exit "$status"
