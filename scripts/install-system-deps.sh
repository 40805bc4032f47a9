#!/usr/bin/env bash
# Installs torchnode's system dependencies on Debian/Ubuntu; does nothing when they are present.
#   bash scripts/install-system-deps.sh          libtorch + OpenBLAS (what a user needs to run a prebuild)
#   bash scripts/install-system-deps.sh --build  + the compiler toolchain to build the addon
#   bash scripts/install-system-deps.sh --dev    + what the test suite and linters use (CI)
# Without OpenBLAS, Debian's libtorch runs on reference BLAS, about 4x slower.
set -euo pipefail

packages=(libtorch-dev libopenblas0-pthread)
case "${1:-}" in
  --build) packages+=(cmake g++ make python3) ;;
  --dev) packages+=(cmake g++ make python3 clang-format python3-torch python3-numpy chromium) ;;
  "") ;;
  *) echo "usage: $0 [--build|--dev]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system dependencies present: ${packages[*]}"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing: ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
