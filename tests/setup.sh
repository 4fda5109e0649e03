#!/usr/bin/env bash
# What the tests need besides Deno, checked before every `deno task test`: Debian's packages for
# the interop peers (openssl, node), the browser tests (chromium and a font for its screenshots)
# and the native secret box (libsodium23). As root, missing packages are installed; otherwise this
# stops at once with the one command to run.
set -euo pipefail

# openssl: TLS and certificate interop; chromium: the browser tests; fonts-dejavu-core: their
# screenshots; libsodium23: the native secret box, cross-checked against the WebAssembly one
PACKAGES=(openssl chromium fonts-dejavu-core libsodium23)

if ! command -v node >/dev/null 2>&1; then
  echo "tests/setup.sh: the tests need Node.js (the TLS interop peer): install it, e.g. apt-get install nodejs" >&2
  exit 1
fi
if ! command -v dpkg >/dev/null 2>&1; then
  echo "tests/setup.sh: not a Debian system; install the equivalents of: ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/setup.sh: the tests need Debian packages that are missing; run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "== installing Debian packages the tests need: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
