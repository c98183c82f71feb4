#!/usr/bin/env bash
# scripts/setup.sh [--for start|test] — install everything daxfleet needs on a Debian 12 machine that has only
# Node.js (>= 20.19) and npm, then build it. Idempotent: safe to run again, and from whatever state a failed run left.
#   --for start  (default) runtime: libndctl/libdaxctl, build tools, pnpm, dependencies, native addon, all packages
#   --for test   also Chromium (browser tests) and the pmem lab's QEMU, kernel tools and guest kernel
set -euo pipefail
cd "$(dirname "$0")/.."
PURPOSE=start
while [ $# -gt 0 ]; do
  case "$1" in
    --for) PURPOSE=${2:?--for needs start or test}; shift 2 ;;
    *) echo "setup.sh: unknown argument '$1' (use --for start|test)" >&2; exit 2 ;;
  esac
done
case "$PURPOSE" in start|test) ;; *) echo "setup.sh: --for takes start or test, not '$PURPOSE'" >&2; exit 2 ;; esac

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root (apt packages are needed) or install sudo" >&2; exit 1; }
  SUDO=sudo
fi

# ---- Node.js
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  echo "setup.sh: Node.js >= 20.19 is required (found $(node --version)); install it from Debian/NodeSource first" >&2; exit 1; }

# ---- apt packages (only the missing ones; apt-get update only when something is missing)
APT=(libndctl-dev libdaxctl-dev ndctl daxctl pkg-config python3 make g++)
if [ "$PURPOSE" = test ]; then
  # chromium: Playwright's browser (its own download is blocked here); the rest: the pmem lab (lab/README.md)
  APT+=(chromium qemu-system-x86 busybox-static xfsprogs e2fsprogs cpio kmod xz-utils iproute2)
fi
missing=()
for p in "${APT[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  # finish whatever an interrupted earlier run left half-configured (apt refuses to install until then)
  $SUDO env DEBIAN_FRONTEND=noninteractive dpkg --configure -a
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- pnpm (a pinned standalone pnpm from npm; corepack needs integrity-key workarounds here)
PNPM_VERSION=12.21.0
if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  $SUDO npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION"
fi

# ---- dependencies. node-gyp must build against the headers of the Node.js that runs it (it cannot download
# them here), found beside the binary: /usr for Debian's nodejs, the install prefix of a tarball or nvm Node.
# pnpm ignores nodedir in .npmrc, so it goes in the environment.
NODE_PREFIX=$(node -p 'require("path").resolve(process.execPath, "../..")')
[ -f "$NODE_PREFIX/include/node/node_api.h" ] || {
  echo "setup.sh: no Node.js headers at $NODE_PREFIX/include/node (install Node.js with its headers, e.g. Debian's nodejs + libnode-dev, or a nodejs.org tarball)" >&2; exit 1; }
export npm_config_nodedir=$NODE_PREFIX
# node-gyp compiles the addon's sources one at a time unless JOBS says otherwise (it runs at install and at build)
export JOBS=${JOBS:-max}
say "pnpm install"
pnpm install --frozen-lockfile

# ---- build: shared -> dax-native (C++ addon + TS) -> api (prisma generate + TS) and web (vite) side by side
# (pnpm -r keeps the dependency order; api and web do not depend on each other)
say "build"
pnpm -r --workspace-concurrency=2 run build

# ---- the pmem lab (tests only): QEMU, the guest kernel extracted from Debian's .deb, the initramfs
if [ "$PURPOSE" = test ] && [ -x lab/lab ]; then
  say "pmem lab setup"
  lab/lab setup
fi
say "setup done ($PURPOSE)"
