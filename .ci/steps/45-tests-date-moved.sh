# The SQLite suite (without the browser) with the machine's date moved 430 days ahead: tests read
# only the test clock, so they must pass on any date. The monotonic clock is left alone, or the
# threads' timed waits would hang; .ci/faketime/sitecustomize.py then mends time.sleep, which
# libfaketime breaks in that mode, in every Python process of the run (servers included).
source "$(dirname "$0")/../lib.sh"
PYTHONPATH="$PWD/.ci/faketime${PYTHONPATH:+:$PYTHONPATH}" FAKETIME_DONT_FAKE_MONOTONIC=1 \
  faketime '+430 days' "$PY" -m pytest -m "not browser" -p no:cacheprovider -q -n 2
