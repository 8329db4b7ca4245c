#!/usr/bin/env bash
# Installs what EVOM Web needs on this machine: Debian's system packages (apt-get, through sudo when
# not root) and the npm dependencies. Safe to run again: installed packages are skipped, and npm ci
# runs only when node_modules is missing or older than package-lock.json.
#
#   npm run setup                  (= bash scripts/setup.sh)
#   bash scripts/setup.sh --system  system packages only (.ci/run installs npm's itself)
set -euo pipefail
cd "$(dirname "$0")/.."

# What each package is for (the same list is in the README):
#   chromium, libvulkan1   headless Chromium runs the WebGPU engine (`evom demo`, train, eval, generate);
#                          it ships SwiftShader's Vulkan driver, so no GPU is needed
#   glpk-utils             glpsol, the native GLPK the tests cross-check gold models against
#   bubblewrap             the sandbox server's sandbox (`evom serve`), and the pulp target's isolate in Node
#   python3-pulp coinor-cbc python3-swiglpk python3-cvxopt
#                          the sandbox server's open Python targets (SciPy comes with the machine's python3)
#   minizinc               native MiniZinc 2.6 with Gecode, which the tests cross-check the MiniZinc gold
#                          models against (the minizinc target itself is npm's WebAssembly)
PACKAGES=(chromium libvulkan1 glpk-utils bubblewrap python3-pulp coinor-cbc python3-swiglpk python3-cvxopt minizinc)

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: EVOM Web needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none)); install it from https://nodejs.org or your package manager" >&2
  exit 1
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
else
  missing=("${PACKAGES[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<MSG
setup: this machine has no apt-get (EVOM Web's script installs Debian 12 packages). Install these
with your package manager, then run this again:
  - Chromium (headless; its SwiftShader Vulkan driver vk_swiftshader_icd.json comes with it), at
    /usr/bin/chromium or named by CHROMIUM_PATH             [Debian: chromium]
  - the Vulkan loader libvulkan.so.1                         [Debian: libvulkan1]
  - GLPK's glpsol                                            [Debian: glpk-utils]   (tests)
  - bubblewrap (bwrap)                                       [Debian: bubblewrap]   (sandbox server)
  - Python 3 with PuLP, CBC, swiglpk and cvxopt              [Debian: python3-pulp coinor-cbc python3-swiglpk python3-cvxopt]
Missing here: ${missing[*]}
MSG
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: installing ${missing[*]} needs root: run this as root, or install sudo" >&2
      exit 1
    fi
    SUDO="sudo"
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--system" ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
fi
echo "setup: ready" >&2
