#!/usr/bin/env bash
# Does the deployment start, and does the demo answer on /healthz?
#
# Where Docker works (a daemon, the compose plugin, the base images reachable):
#   docker compose up -d --build, wait for /healthz, check that a demo page answers,
#   then docker compose down -v.
# Elsewhere it says why, and runs the SAME entry point the container runs
# (docker/entrypoint.sh: wait for the database, maillage db upgrade, maillage demo, serve)
# against a throw-away PostgreSQL server that it starts (initdb in a temporary folder,
# as tests/pgserver.py does), with a password in the URL, and checks /healthz and a demo
# page; it also checks that the password never appears in the entry point's output.
#
# Usage: bash bench/compose_check.sh   (PYTHON=… to choose the interpreter; default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
WAIT_S=${WAIT_S:-900}

say() { printf '[compose_check] %s\n' "$*"; }

get() {  # URL -> body on stdout; non-zero when it does not answer 200
    "$PYTHON" - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    sys.stdout.write(answer.read().decode())
PY
}

wait_healthy() {  # URL
    local start=$SECONDS
    until body=$(get "$1" 2>/dev/null); do
        if [ $((SECONDS - start)) -ge "$WAIT_S" ]; then
            say "FAIL: $1 did not answer within ${WAIT_S}s"
            return 1
        fi
        sleep 3
    done
    say "/healthz answered after $((SECONDS - start))s: $body"
    case "$body" in *'"status":"ok"'*) ;; *) say "FAIL: not ok"; return 1 ;; esac
}

check_demo() {  # BASE_URL
    local actors page
    actors=$(get "$1/api/actors") || { say "FAIL: /api/actors"; return 1; }
    say "/api/actors: ${actors:0:200}…"
    "$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); n=d.get("total", d.get("count", 0)); print("[compose_check] demo actors:", n); sys.exit(0 if n else 1)' "$actors" \
        || { say "FAIL: the demo map is empty"; return 1; }
    page=$(get "$1/") || { say "FAIL: home page"; return 1; }
    say "home page: ${#page} bytes, $(grep -o '<title>[^<]*</title>' <<<"$page" | head -n 1)"
}

docker_works() {
    command -v docker >/dev/null || { why="no docker client"; return 1; }
    docker info >/dev/null 2>&1 || { why="no Docker daemon answers (docker info fails)"; return 1; }
    docker compose version >/dev/null 2>&1 || { why="no docker compose plugin"; return 1; }
    docker pull -q python:3.11-slim-bookworm >/dev/null 2>&1 \
        || { why="the base image python:3.11-slim-bookworm cannot be pulled (no registry)"; return 1; }
}

if docker_works; then
    say "Docker works: docker compose up -d --build"
    trap 'docker compose down -v >/dev/null 2>&1 || true' EXIT
    docker compose up -d --build
    wait_healthy "http://127.0.0.1:${MAILLAGE_HTTP_PORT:-8000}/healthz"
    check_demo "http://127.0.0.1:${MAILLAGE_HTTP_PORT:-8000}"
    say "OK: compose started, the demo answers"
    exit 0
fi

say "Docker cannot run the compose file here: $why."
say "Running the container's entry point (docker/entrypoint.sh) against a local PostgreSQL."

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { say "FAIL: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"; exit 1; }
work=$(mktemp -d /tmp/maillage-compose-check.XXXXXX)
chmod 755 "$work"
port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); chown postgres "$work"; fi
secret="pw-$RANDOM$RANDOM"
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "$secret" >"$work/pwfile"
[ "$(id -u)" = 0 ] && chown postgres "$work/pwfile"
"${as_pg[@]}" "$bindir/initdb" -D "$work/pg" -U postgres -A scram-sha-256 --pwfile="$work/pwfile" \
    -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $work/pg" start >/dev/null
PGPASSWORD=$secret "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE maillage LOGIN PASSWORD '$secret'" -c "CREATE DATABASE maillage OWNER maillage"
say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (password authentication)"

# `maillage` on PATH, as in the image
mkdir -p "$work/bin"
printf '#!/bin/sh\nexec "%s" -m maillage "$@"\n' "$PYTHON" >"$work/bin/maillage"
chmod +x "$work/bin/maillage"

start=$SECONDS
PATH="$work/bin:$PATH" PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" \
    MAILLAGE_DATABASE_URL="postgresql://maillage:$secret@127.0.0.1:$port/maillage" \
    MAILLAGE_DEMO=1 MAILLAGE_HOST=127.0.0.1 MAILLAGE_PORT=$http MAILLAGE_WORKERS=2 \
    MAILLAGE_CACHE_DIR="$work/cache" \
    sh docker/entrypoint.sh >"$work/entrypoint.log" 2>&1 &
app_pid=$!
wait_healthy "http://127.0.0.1:$http/healthz" || { tail -n 20 "$work/entrypoint.log"; exit 1; }
say "entry point to healthy (migrations + demo load on PostgreSQL): $((SECONDS - start))s"
check_demo "http://127.0.0.1:$http"
if grep -q "$secret" "$work/entrypoint.log"; then
    say "FAIL: the database password appears in the entry point's output"
    exit 1
fi
say "entry point output (first lines):"
grep -v "GET /" "$work/entrypoint.log" | head -n 8 | sed 's/^/    /'
say "OK: the container's entry point migrates, loads the demo and serves it; /healthz is ok"
