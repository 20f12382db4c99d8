#!/bin/sh
# The maillage container's entry point (also run as is by bench/compose_check.sh):
# wait until the database answers and bring its schema up to date (`maillage db upgrade`,
# safe to run at every start), load the demo map when MAILLAGE_DEMO=1 (safe to run
# again), then serve. Any other command runs as a maillage command:
#   docker compose run --rm app db backup /backups/maillage.dump
# The database URL comes from MAILLAGE_DATABASE_URL and is never printed.
set -eu

if [ "$#" -gt 0 ] && [ "$1" != "serve" ]; then
    exec maillage "$@"
fi
[ "$#" -gt 0 ] && shift

attempts="${MAILLAGE_DB_WAIT_ATTEMPTS:-30}"
n=1
until out=$(maillage db upgrade 2>&1); do
    if [ "$n" -ge "$attempts" ]; then
        echo "maillage: database not ready after $attempts attempts:" >&2
        echo "$out" | tail -n 1 >&2
        exit 1
    fi
    echo "maillage: waiting for the database ($n/$attempts)" >&2
    n=$((n + 1))
    sleep 2
done
echo "$out" | head -n 1

if [ "${MAILLAGE_DEMO:-0}" = "1" ]; then
    echo "maillage: loading the demo map (MAILLAGE_DEMO=1)"
    maillage demo --no-serve --json >/dev/null
fi

exec maillage serve \
    --host "${MAILLAGE_HOST:-0.0.0.0}" \
    --port "${MAILLAGE_PORT:-8000}" \
    --workers "${MAILLAGE_WORKERS:-1}" \
    "$@"
