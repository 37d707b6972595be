#!/bin/bash
# A PostgreSQL server of the tests' own, from Debian's packages: run as the postgres user,
# listening on loopback only, with its data directory and socket under the build folder.
#   scripts/test-postgres.sh start          initdb and start; prints the URL the tests use
#   scripts/test-postgres.sh stop           stop it and remove its data
#   scripts/test-postgres.sh halt|resume    stop it keeping its data, start it again
#   scripts/test-postgres.sh run CMD ARGS   start, run CMD with ISOPROBE_TEST_POSTGRES set, stop
#                                           afterwards whatever CMD did (its status is kept)
# A test that stops its server (a database gone mid-suite) must not stop the one every other
# test shares: it starts a private one, the same commands with --instance NAME first, on its
# own port (ISOPROBE_TEST_PG_PORT) and under $BUILD/postgres-private/NAME:
#   ISOPROBE_TEST_PG_PORT=55999 scripts/test-postgres.sh --instance midsuite start|halt|resume|stop
# `run` stops every private instance too when it ends, so a test killed before its own clean-up
# leaves no server behind. Every wait is bounded (pg_ctl -t); a server that does not stop in
# time is killed.
# Roles: the user running the tests, a superuser trusted on loopback; isoprobe_pw, which
# must give a password (scram-sha-256), for the tests of credentials.
set -euo pipefail

# Descriptors this script inherited (beyond standard input, output and error) are closed
# first: the server outlives the script, and a descriptor it kept open would keep whoever
# started the script from seeing it end (Foundation's Process on Linux learns of a child's
# exit from a socket the child inherits). 255 is bash's own, reading this file.
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then eval "exec $fd>&-"; fi
done

BUILD=${BUILD:-build}
PRIVATE=$(realpath -m "$BUILD/postgres-private")
DIR=$(realpath -m "$BUILD/postgres")
if [ "${1:-}" = "--instance" ]; then
    case "${2:-}" in
        ""|*/*|.|..) echo "test-postgres: --instance takes a name without slashes" >&2; exit 2 ;;
    esac
    DIR="$PRIVATE/$2"
    shift 2
fi
PORT=${ISOPROBE_TEST_PG_PORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
USER_NAME=$(id -un)
URL="postgres://$USER_NAME@127.0.0.1:$PORT/postgres"
# Seconds pg_ctl waits for a start or a stop.
WAIT=${ISOPROBE_TEST_PG_WAIT:-30}

# setpriv changes user without PAM or the terminal (runuser and su may stop for a terminal
# they do not own, in a test run in the background); no standard input either.
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@" </dev/null; }

start() {
    if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
        echo "test-postgres: PostgreSQL is not installed (apt-get install postgresql, or make deps)" >&2
        return 1
    fi
    stop_dir "$DIR" >/dev/null 2>&1 || true
    mkdir -p "$DIR"
    chown postgres: "$DIR"
    chmod 700 "$DIR"
    as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync -E UTF8 >"$DIR/initdb.log"
    cat >"$DIR/data/pg_hba.conf" <<HBA
local all all trust
host all isoprobe_pw 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
    # In the configuration, so that a plain `pg_ctl start` (a test that stops the server
    # and starts it again) listens where it did.
    cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
# Shared memory segments in the data folder, not /dev/shm: a server killed mid-test leaves
# nothing behind once its folder is removed.
dynamic_shared_memory_type = mmap
CONF
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t "$WAIT" start >/dev/null
    as_postgres psql -h "$DIR" -p "$PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE \"$USER_NAME\" SUPERUSER LOGIN" \
        -c "SET password_encryption = 'scram-sha-256'" \
        -c "CREATE ROLE isoprobe_pw LOGIN CREATEDB PASSWORD 'isoprobe-test-secret'" >/dev/null
    echo "$URL"
}

# Stops the server whose data is under $1, within $WAIT seconds or by SIGKILL, and removes it.
stop_dir() {
    local dir=$1
    if [ -n "$BIN" ] && [ -f "$dir/data/postmaster.pid" ]; then
        if ! as_postgres "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t "$WAIT" stop >/dev/null; then
            kill_postmaster "$dir"
        fi
    fi
    rm -rf "$dir"
}

# The postmaster of $1's data, killed: its pid is the first line of postmaster.pid, and it is
# ours only if that process runs postgres with this data directory.
kill_postmaster() {
    local pid
    pid=$(head -1 "$1/data/postmaster.pid" 2>/dev/null || true)
    case "$pid" in ''|*[!0-9]*) return 0 ;; esac
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1/data"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# Keeps the data: the server goes away as it would on a host that lost it.
halt() {
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t "$WAIT" stop >/dev/null || { kill_postmaster "$DIR"; return 1; }
}

resume() {
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t "$WAIT" start >/dev/null
}

# The shared server and every private instance.
stop_all() {
    local dir
    for dir in "$PRIVATE"/*; do
        [ -d "$dir" ] && stop_dir "$dir"
    done
    rm -rf "$PRIVATE"
    stop_dir "$DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop_dir "$DIR" ;;
    halt) halt ;;
    resume) resume ;;
    run)
        shift
        status=0
        if url=$(start); then
            trap stop_all EXIT INT TERM
            ISOPROBE_TEST_POSTGRES=$url "$@" || status=$?
        else
            # Without a server the database tests skip (or fail, with CI=true) and say why.
            "$@" || status=$?
        fi
        exit $status
        ;;
    *) echo "usage: $0 [--instance NAME] start|stop|halt|resume, or $0 run COMMAND..." >&2; exit 2 ;;
esac
