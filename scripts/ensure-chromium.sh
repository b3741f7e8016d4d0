#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (run by `npm test` as pretest).
# The browser tests must never skip silently: install it when we can, otherwise stop with the
# command that fixes it.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is needed for the browser tests; installing Debian's chromium package..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium fonts-noto-color-emoji fonts-wqy-microhei
  if command -v chromium >/dev/null 2>&1; then
    exit 0
  fi
  echo "apt-get installed chromium, but it is still not on PATH." >&2
  exit 1
fi

echo "Chromium is needed for the browser tests: run \`sudo apt-get install -y chromium\`" >&2
exit 1
