#!/usr/bin/env bash
# The README's test command: install what the tests need, then run tox (tests + lint).
# System packages (Kamailio with its SQLite and TLS modules, SIPp, openssl, PostgreSQL, Chromium) come
# from apt when running as root;
# otherwise the script stops with the one command that installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="kamailio kamailio-sqlite-modules kamailio-tls-modules sip-tester openssl postgresql chromium chromium-driver"
missing=()
command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so ] || \
  ls /usr/lib/*/kamailio/modules/db_sqlite.so >/dev/null 2>&1 || missing+=(kamailio-sqlite-modules)
[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || \
  ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1 || missing+=(kamailio-tls-modules)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PACKAGES >/dev/null
  else
    echo "scripts/test.sh: missing ${missing[*]}; install with: sudo apt-get install -y $APT_PACKAGES" >&2
    exit 2
  fi
fi

python3 -m pip install --quiet "tox>=4.11"
exec python3 -m tox "$@"
