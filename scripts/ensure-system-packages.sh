#!/usr/bin/env bash
# Installs the Debian packages KB's setup and tests use, if they are missing:
# gettext (msgfmt, to compile the interface translations), PostgreSQL 15 (test suite),
# Voikko with its Finnish dictionary (Finnish lemmas and compounds in search), Chromium (the browser
# tests drive /usr/bin/chromium through Playwright) and npm (installs axe-core for them).
set -euo pipefail
missing=()
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql-15)
compgen -G "/usr/lib/*/libvoikko.so.1" >/dev/null || missing+=(libvoikko1)
[ -e /usr/lib/voikko/5/mor-standard/mor.vfst ] || missing+=(voikko-fi)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "Please install: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "Installing ${missing[*]} from Debian's packages…" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
