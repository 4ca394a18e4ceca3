# Debian packages the tests use: Chromium (browser tests), nginx (proxy test), faketime.
source "$(dirname "$0")/../lib.sh"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/nginx ] || need+=(nginx)
command -v faketime >/dev/null || need+=(faketime)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
/usr/bin/chromium --version
