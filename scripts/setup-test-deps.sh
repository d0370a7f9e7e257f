#!/usr/bin/env bash
# Installs the system packages Baton's tests use, from Debian's archive, when
# they are missing: one apt-get update, then apt-get install -y. Later test
# suites add their packages to NEEDED. Fails with a clear message (never
# skips) when a package is missing and this user cannot install it.
set -euo pipefail

# package -> command that proves it is installed
declare -A NEEDED=(
  [python3-grpcio]="/usr/bin/python3 -c 'import grpc'"
  [python3-protobuf]="/usr/bin/python3 -c 'import google.protobuf'"
  [python3-websockets]="/usr/bin/python3 -c 'import websockets'"
  [protobuf-compiler]="command -v protoc"
  [chromium]="command -v chromium"
  [espeak-ng]="command -v espeak-ng"
  [sox]="command -v sox"
  [openssl]="command -v openssl"
)

missing=()
for pkg in "${!NEEDED[@]}"; do
  if ! bash -c "${NEEDED[$pkg]}" >/dev/null 2>&1; then missing+=("$pkg"); fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-test-deps: all system packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-test-deps: missing Debian packages: ${missing[*]}" >&2
  echo "setup-test-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "setup-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for pkg in "${missing[@]}"; do
  if ! bash -c "${NEEDED[$pkg]}" >/dev/null 2>&1; then
    echo "setup-test-deps: $pkg installed but its check still fails: ${NEEDED[$pkg]}" >&2
    exit 1
  fi
done
echo "setup-test-deps: installed ${missing[*]}"
