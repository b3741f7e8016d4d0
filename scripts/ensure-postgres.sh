#!/usr/bin/env bash
# Starts (or finds running) the private PostgreSQL cluster the PostgreSQL store and fail-over
# tests use: Debian's postgresql binaries, data under .tools/pg, listening on 127.0.0.1 only
# (port PATCHBOT_TEST_PG_PORT, default 55432), trust authentication for that address only.
# Run by `npm test` (pretest) and .ci/run. Those tests must never skip silently: install the
# package when we can, otherwise stop with the command that fixes it.
# Prints nothing on success; tests connect to postgres://patchbot@127.0.0.1:$PORT/postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PATCHBOT_TEST_PG_PORT:-55432}"

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is needed for the store and fail-over tests; installing Debian's postgresql package..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y postgresql
    BINDIR="$(find_bindir || true)"
  fi
  if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
    echo "PostgreSQL is needed for the store and fail-over tests: run \`sudo apt-get install -y postgresql\`" >&2
    exit 1
  fi
fi

if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  exit 0
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the 'postgres' account the
# package creates, and lives where that account can reach it.
DATA="$PWD/.tools/pg/data"
AS=()
if [ "$(id -u)" = "0" ]; then
  AS=(runuser -u postgres --)
  if ! runuser -u postgres -- test -x "$PWD"; then
    DATA="/var/tmp/patchbot-pg-$(printf '%s' "$PWD" | sha1sum | cut -c1-12)/data"
  fi
fi
mkdir -p "$(dirname "$DATA")"
if [ "$(id -u)" = "0" ]; then chown postgres "$(dirname "$DATA")"; fi

if [ ! -f "$DATA/PG_VERSION" ]; then
  "${AS[@]}" "$BINDIR/initdb" -D "$DATA" -U patchbot --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
# fsync stays on: the tests restart this server mid-run and must see what a real one keeps.
"${AS[@]}" "$BINDIR/pg_ctl" -D "$DATA" -l "$DATA/../server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories='' -c max_connections=200" \
  start >/dev/null
if ! "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  echo "PostgreSQL did not start on 127.0.0.1:$PORT; see $DATA/../server.log" >&2
  exit 1
fi
