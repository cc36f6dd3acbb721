#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (CI and local runs).
#
#   scripts/pg-test-cluster.sh start   # create + start; prints the SQLAlchemy URL
#   scripts/pg-test-cluster.sh url     # print the URL of the running cluster
#   scripts/pg-test-cluster.sh stop    # stop it and delete its files (safe to repeat)
#
# The cluster lives in a fresh temp dir (data, socket and log), listens on a free port on
# 127.0.0.1 only and trusts every local connection: it must never hold anything but test data.
# It installs nothing: PostgreSQL's server binaries must be present (Debian: the `postgresql`
# package; found under /usr/lib/postgresql/*/bin, or set PG_BINDIR). Run as root, the server
# runs as the `postgres` user, because initdb refuses to run as root.
# State (the temp dir and port) is kept in $PG_TEST_CLUSTER_STATE so `url` and `stop` find it.
set -euo pipefail

STATE="${PG_TEST_CLUSTER_STATE:-${TMPDIR:-/tmp}/policyaudit-pg-test-cluster.state}"

log() { echo "pg-test-cluster: $*" >&2; }

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    local dir
    # Highest installed major version first.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    log "no PostgreSQL server binaries (initdb, pg_ctl) found; install 'postgresql' or set PG_BINDIR"
    exit 1
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        local cmd
        printf -v cmd '%q ' "$@"
        su postgres -s /bin/sh -c "$cmd"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

read_state() {
    [ -f "$STATE" ] || return 1
    # shellcheck disable=SC1090
    . "$STATE"
    [ -n "${PGTC_DIR:-}" ] && [ -n "${PGTC_PORT:-}" ] && [ -n "${PGTC_BINDIR:-}" ]
}

is_running() {
    read_state && [ -d "$PGTC_DIR/data" ] \
        && as_owner "$PGTC_BINDIR/pg_ctl" -D "$PGTC_DIR/data" status >/dev/null 2>&1
}

url() { echo "postgresql+psycopg://postgres@127.0.0.1:$PGTC_PORT/postgres"; }

start() {
    if is_running; then
        url
        return
    fi
    [ -f "$STATE" ] && stop >/dev/null  # a stale state file: clean up what it names
    local bindir dir port attempt
    bindir="$(find_bindir)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/policyaudit-pg.XXXXXX")"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir"
    fi
    chmod 700 "$dir"
    # UTF8 and the C locale: any text round-trips, and string order matches SQLite's.
    as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || {
        log "initdb failed:"
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    }
    # A port can be taken between choosing and binding it: try a few.
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        # Durability settings off: the data is thrown away, and tests run several times faster.
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            printf 'PGTC_DIR=%q\nPGTC_PORT=%q\nPGTC_BINDIR=%q\n' "$dir" "$port" "$bindir" >"$STATE"
            PGTC_PORT="$port"
            log "started in $dir on 127.0.0.1:$port"
            url
            return
        fi
        log "start on port $port failed (attempt $attempt)"
    done
    log "could not start the server; its log:"
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    exit 1
}

stop() {
    if ! read_state; then
        rm -f "$STATE"
        return 0
    fi
    if [ -d "$PGTC_DIR/data" ]; then
        as_owner "$PGTC_BINDIR/pg_ctl" -D "$PGTC_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    case "$PGTC_DIR" in
        */policyaudit-pg.*) rm -rf "$PGTC_DIR" ;;  # never delete a directory we did not make
    esac
    rm -f "$STATE"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url)
        if is_running; then
            url
        else
            log "not running"
            exit 1
        fi
        ;;
    *)
        echo "usage: $0 start|stop|url" >&2
        exit 2
        ;;
esac
