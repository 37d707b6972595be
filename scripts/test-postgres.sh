#!/bin/bash
# A PostgreSQL server of the tests' own, from Debian's packages: run as the postgres user,
# listening on loopback only, with its data directory and socket under the build folder.
#   scripts/test-postgres.sh start          initdb and start; prints the URL the tests use
#   scripts/test-postgres.sh stop           stop it and remove its data
#   scripts/test-postgres.sh halt|resume    stop it keeping its data, start it again (the test of
#                                           a server that goes away mid-suite)
#   scripts/test-postgres.sh run CMD ARGS   start, run CMD with ISOPROBE_TEST_POSTGRES set, stop
#                                           afterwards whatever CMD did (its status is kept)
# Roles: the user running the tests, a superuser trusted on loopback; isoprobe_pw, which
# must give a password (scram-sha-256), for the tests of credentials.
set -euo pipefail

BUILD=${BUILD:-build}
DIR=$(realpath -m "$BUILD/postgres")
PORT=${ISOPROBE_TEST_PG_PORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
USER_NAME=$(id -un)
URL="postgres://$USER_NAME@127.0.0.1:$PORT/postgres"

# setpriv changes user without PAM or the terminal (runuser and su may stop for a terminal
# they do not own, in a test run in the background); no standard input either.
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@" </dev/null; }

start() {
    if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
        echo "test-postgres: PostgreSQL is not installed (apt-get install postgresql, or make deps)" >&2
        return 1
    fi
    stop >/dev/null 2>&1 || true
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
CONF
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 start >/dev/null
    as_postgres psql -h "$DIR" -p "$PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE \"$USER_NAME\" SUPERUSER LOGIN" \
        -c "SET password_encryption = 'scram-sha-256'" \
        -c "CREATE ROLE isoprobe_pw LOGIN CREATEDB PASSWORD 'isoprobe-test-secret'" >/dev/null
    echo "$URL"
}

stop() {
    if [ -n "$BIN" ] && [ -f "$DIR/data/postmaster.pid" ]; then
        as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    halt) as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null ;;
    resume) as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 start >/dev/null ;;
    run)
        shift
        status=0
        if url=$(start); then
            trap stop EXIT INT TERM
            ISOPROBE_TEST_POSTGRES=$url "$@" || status=$?
        else
            # Without a server the database tests skip (or fail, with CI=true) and say why.
            "$@" || status=$?
        fi
        exit $status
        ;;
    *) echo "usage: $0 start|stop|run COMMAND..." >&2; exit 2 ;;
esac
