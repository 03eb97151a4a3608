#!/usr/bin/env bash
# Installs a real VS Code (code-server, the web build of VS Code) plus Debian chromium into .tools/code-server/
# for the end-to-end tests in test/e2e/, and Debian's neovim for test/server/neovim.test.ts (the language server
# in a second, real LSP client). Idempotent and non-interactive: a stamp file records the finished
# install so re-runs return at once. Follows the recipe in issue 5 ("Proven in a real VS Code").
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools/code-server"
STAMP="$TOOLS/.installed-$CODE_SERVER_VERSION"
export CI=true
export DEBIAN_FRONTEND=noninteractive
# npm 11 asks before running install scripts / npx downloads; answer yes without a terminal.
export npm_config_yes=true
export npm_config_audit=false
export npm_config_fund=false
export npm_config_update_notifier=false

log() { printf '[setup-code-server] %s\n' "$*" >&2; }
elapsed() { printf '%ss' "$((SECONDS - START))"; }
START=$SECONDS

if [[ -f "$STAMP" && -x /usr/bin/chromium && -x /usr/bin/rg && -x /usr/bin/nvim ]]; then
  log "code-server $CODE_SERVER_VERSION already installed in $TOOLS (stamp found)"
  exit 0
fi

# --- 1. system packages -------------------------------------------------------------------------------------
# g++/make/python3: argon2, kerberos and node-pty are compiled here (their prebuilt downloads need github.com).
need_apt=()
for pkg in libkrb5-dev ripgrep chromium g++ make python3 neovim; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo -n"; fi
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq </dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" </dev/null >/dev/null
  log "system packages done ($(elapsed))"
fi
[[ -x /usr/bin/chromium ]] || { log "ERROR: /usr/bin/chromium missing after apt-get install chromium"; exit 1; }
[[ -x /usr/bin/rg ]] || { log "ERROR: /usr/bin/rg missing after apt-get install ripgrep"; exit 1; }
[[ -x /usr/bin/nvim ]] || { log "ERROR: /usr/bin/nvim missing after apt-get install neovim"; exit 1; }

# --- 2. code-server itself -----------------------------------------------------------------------------------
mkdir -p "$TOOLS"
cd "$TOOLS"
[[ -f package.json ]] || printf '{ "name": "loopscope-e2e-tools", "private": true }\n' > package.json
CS="$TOOLS/node_modules/code-server"
if [[ ! -f "$CS/package.json" ]] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$CS/package.json"; then
  log "npm install code-server@$CODE_SERVER_VERSION"
  npm install --no-save --ignore-scripts --loglevel=error "code-server@$CODE_SERVER_VERSION" </dev/null
fi
# npm 11 skips dependency install scripts unless explicitly allowed; `npm rebuild` with
# --foreground-scripts and ignore-scripts=false runs node-gyp / prebuild-install for real.
rebuild() { npm rebuild --ignore-scripts=false --foreground-scripts --loglevel=error "$@" </dev/null >>"$TOOLS/rebuild.log" 2>&1 || { tail -20 "$TOOLS/rebuild.log" >&2; return 1; }; }
# A native module counts as built when Node can load it from here (prebuilt binaries, e.g. @parcel/watcher's
# platform package, count too); otherwise its .node file is missing or does not match this Node.
loads() { node -e "require('$1')" >/dev/null 2>&1; }

if ! loads argon2; then
  log "npm rebuild argon2 (builds from source: the prebuilt download needs github.com)"
  rebuild argon2
fi
loads argon2 || { log "ERROR: argon2 native module was not built ($(node -e "require('argon2')" 2>&1 | head -3))"; exit 1; }

# --- 3. VS Code's own node_modules (code-server ships them unbuilt) --------------------------------------------
cd "$CS/lib/vscode"
if [[ ! -d node_modules/node-pty ]]; then
  log "npm install (lib/vscode, --omit=dev)"
  npm install --omit=dev --ignore-scripts --loglevel=error </dev/null
fi
for mod in kerberos node-pty @parcel/watcher; do
  if ! loads "$mod"; then
    log "npm rebuild $mod"
    rebuild "$mod"
  fi
  loads "$mod" || { log "ERROR: native module $mod does not load: $(node -e "require('$mod')" 2>&1 | head -3)"; exit 1; }
done
# @vscode/ripgrep downloads rg from GitHub in its postinstall; use Debian's binary instead.
mkdir -p node_modules/@vscode/ripgrep/bin
cp -f /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
# The server resolves modules through node_modules.asar (the desktop build packs them); point it at the folder.
[[ -e node_modules.asar ]] || ln -s node_modules node_modules.asar
[[ -e bin/remote-cli/code-server ]] || ln -s code-linux.sh bin/remote-cli/code-server
[[ -e bin/helpers/browser.sh ]] || ln -s browser-linux.sh bin/helpers/browser.sh

# --- 4. built-in extensions' runtime dependencies --------------------------------------------------------------
cd "$CS/lib/vscode/extensions"
if [[ ! -f node_modules/.package-lock.json ]]; then
  log "npm install (lib/vscode/extensions, --omit=dev)"
  # Runs the extensions' postinstall (prunes typescript) — wanted here, so scripts stay on.
  npm install --omit=dev --ignore-scripts=false --loglevel=error </dev/null >/dev/null
fi

# --- 5. smoke check and stamp --------------------------------------------------------------------------------
# --version loads the server bundle (and the native modules it needs) without starting anything.
version="$(XDG_CONFIG_HOME="$TOOLS/.config" node "$CS/out/node/entry.js" --version 2>/dev/null | grep -E '^[0-9]+\.' | head -1)"
[[ "$version" == "$CODE_SERVER_VERSION "* ]] || { log "ERROR: code-server --version printed '$version'"; exit 1; }
log "code-server reports: $version"
touch "$STAMP"
log "done in $(elapsed); binary: $CS/out/node/entry.js"
