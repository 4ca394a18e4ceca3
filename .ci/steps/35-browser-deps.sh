source "$(dirname "$0")/../lib.sh"
# axe-core for the accessibility checks of the browser tests (tests/browser/package-lock.json).
# Without npm the checks are skipped, saying so; the other browser tests still run.
if command -v npm >/dev/null; then
  npm ci --prefix tests/browser --no-audit --no-fund
else
  echo "npm not found: the axe-core checks of tests/browser will be skipped"
fi
