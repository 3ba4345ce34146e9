#!/usr/bin/env bash
# Installs the Debian packages KB needs, if they are missing, for one purpose:
#   run   the site on the embedded SQLite (make run): gettext (msgfmt compiles the interface
#         translations), Voikko with its Finnish dictionary (Finnish lemmas and compounds in search)
#   serve the production try-out (make serve): run + PostgreSQL 15 and Redis
#   test  everything the tests use (make test): serve + Chromium (the browser tests drive
#         /usr/bin/chromium through Playwright), npm (axe-core for them), Java 17 and Maven (the
#         private Elasticsearch node), openssl (the email tests' TLS certificates)
# As root it installs what is missing; otherwise it prints the apt-get command and goes on.
set -euo pipefail
purpose=${1:-run}
case "$purpose" in run|serve|test) ;; *) echo "usage: $0 run|serve|test" >&2; exit 2 ;; esac

missing=()
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
compgen -G "/usr/lib/*/libvoikko.so.1" >/dev/null || missing+=(libvoikko1)
[ -e /usr/lib/voikko/5/mor-standard/mor.vfst ] || missing+=(voikko-fi)
if [ "$purpose" != run ]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql-15)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
fi
if [ "$purpose" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  compgen -G "/usr/lib/jvm/java-17-openjdk-*/bin/javac" >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)  # self-signed certificates for the SMTP TLS tests
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "Please install: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "Installing ${missing[*]} from Debian's packages…" >&2
# redis-server's package would start a system-wide server: KB's tooling starts its own, privately.
if [[ " ${missing[*]} " == *" redis-server "* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
