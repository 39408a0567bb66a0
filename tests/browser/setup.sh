#!/usr/bin/env bash
# Installs what crates/keycard-server/tests/nginx_browser.rs drives:
#   - nginx and chromium, Debian packages, when missing
#   - playwright-core and axe-core, pinned in package-lock.json, into tests/browser/node_modules
#
# Playwright never downloads a browser here: the test launches Debian's /usr/bin/chromium.
# Idempotent and non-interactive; runs from any working directory. The npm half is
# skipped when what is installed already matches package-lock.json (a stamp holds its
# SHA-256).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf 'browser setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- Debian: nginx and chromium -----------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]})); then
    command -v apt-get >/dev/null 2>&1 || die "${missing[*]} missing and apt-get not found"
    sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "${missing[*]} missing; run as root or install them"
        sudo=(sudo -n)
    fi
    export DEBIAN_FRONTEND=noninteractive
    install() { "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2; }
    update() { log "apt-get update"; "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed"; }
    # The package lists are refreshed only when they lack a package, or are too stale to
    # install from.
    "${sudo[@]}" apt-cache show "${missing[@]}" >/dev/null 2>&1 || update
    log "installing ${missing[*]} (apt-get)"
    install || { update && install; } || die "apt-get install ${missing[*]} failed"
else
    log "debian packages: nginx and chromium present"
fi
/usr/bin/chromium --version >/dev/null 2>&1 || die "/usr/bin/chromium does not run"

# --- Node: playwright-core ----------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found on PATH (Node.js 20 or later is needed)"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"

lock="$here/package-lock.json"
stamp="$here/node_modules/.keycard-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$here/node_modules/playwright-core/package.json" ]]; then
    log "playwright-core: up to date ($here/node_modules)"
else
    log "playwright-core: npm ci in $here"
    # playwright-core has no install script and downloads no browser; be sure of it.
    (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2) \
        || die "npm ci failed in $here"
    printf '%s\n' "$want" > "$stamp"
fi

(cd "$here" && node --input-type=module -e '
await import("playwright-core");
const { readFileSync } = await import("node:fs");
const { version } = JSON.parse(readFileSync("node_modules/playwright-core/package.json", "utf8"));
console.error(`browser setup: playwright-core ${version}, node ${process.version}`);
') || die "playwright-core does not load"
log "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $(/usr/bin/chromium --version 2>/dev/null)"
