#!/usr/bin/env bash
# Installs the interop peers used by crates/keycard-core/tests/interop.rs:
#   - PyJWT + cryptography, pinned in requirements.txt, into <workspace>/target/interop-venv
#   - the `jose` npm package, pinned in package-lock.json, into tests/interop/node_modules
#
# Idempotent and non-interactive; runs from any working directory. Each half is skipped
# when what is installed already matches its pin file (a stamp holds the file's SHA-256).
# Environment:
#   PYTHON   the interpreter the venv is made from (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
venv="$workspace/target/interop-venv"
python="${PYTHON:-python3}"

log() { printf 'interop setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# --- Python: PyJWT and cryptography -------------------------------------------------
requirements="$here/requirements.txt"
py_stamp="$venv/.keycard-requirements.sha256"
py_want="$(sha256 "$requirements")"

if [[ -x "$venv/bin/python" ]] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "the venv at $venv is broken (its interpreter does not run); recreating it"
    rm -rf "$venv"
fi

if [[ -f "$py_stamp" && "$(cat "$py_stamp")" == "$py_want" ]] \
    && "$venv/bin/python" -c 'import jwt, cryptography' >/dev/null 2>&1; then
    log "python peer: up to date ($venv)"
else
    command -v "$python" >/dev/null 2>&1 || die "$python not found (set PYTHON to a Python 3 interpreter)"
    if [[ ! -x "$venv/bin/python" ]]; then
        log "python peer: creating venv at $venv"
        mkdir -p "$workspace/target"
        "$python" -m venv "$venv" || die "'$python -m venv' failed (on Debian: apt-get install python3-venv)"
    fi
    log "python peer: installing $(grep -Ev '^[[:space:]]*(#|$)' "$requirements" | tr '\n' ' ')"
    rm -f "$py_stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$requirements" || die "pip install -r $requirements failed"
    "$venv/bin/python" -c 'import jwt, cryptography' || die "PyJWT or cryptography does not import after install"
    printf '%s\n' "$py_want" > "$py_stamp"
fi

# --- Node: jose ---------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found on PATH (Node.js 20 or later is needed)"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"

lock="$here/package-lock.json"
node_stamp="$here/node_modules/.keycard-lock.sha256"
node_want="$(sha256 "$lock")"

if [[ -f "$node_stamp" && "$(cat "$node_stamp")" == "$node_want" && -f "$here/node_modules/jose/package.json" ]]; then
    log "node peer: up to date ($here/node_modules)"
else
    log "node peer: npm ci in $here"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $here"
    printf '%s\n' "$node_want" > "$node_stamp"
fi

# --- Smoke check: both peers load their libraries -----------------------------------
"$venv/bin/python" -c 'import jwt, cryptography; print("interop setup: PyJWT", jwt.__version__, "cryptography", cryptography.__version__)' >&2 \
    || die "the python peer's libraries do not load"
(cd "$here" && node --input-type=module -e '
await import("jose");
const { readFileSync } = await import("node:fs");
const { version } = JSON.parse(readFileSync("node_modules/jose/package.json", "utf8"));
console.error(`interop setup: jose ${version}, node ${process.version}`);
') || die "the node peer's libraries do not load"
