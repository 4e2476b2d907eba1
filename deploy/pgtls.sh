#!/usr/bin/env bash
# deploy/pgtls.sh on|off|status: TLS for the dev stack's PostgreSQL (deploy/devstack up first).
#
# `on` makes a private CA and a server certificate for localhost and 127.0.0.1 (openssl, under
# $RUN/pgtls/; made once, kept), installs the certificate in the cluster, turns ssl on
# (ALTER SYSTEM + reload: no restart, existing sessions stay as they are) and writes
# $RUN/pgtls/env with OSSD_PG_TLS_URL, a URL that verifies the server fully:
#
#   postgresql://postgres@localhost:PORT/ossd?sslmode=verify-full&sslrootcert=$RUN/pgtls/ca.crt
#
# `off` turns ssl off again; `status` prints whether it is on and the URL. The run directory is
# $OSSD_RUN_DIR or <repo>/.run, as for deploy/devstack. A development CA: never trust it
# anywhere else (its key sits next to it, readable by root only).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
RUN=${OSSD_RUN_DIR:-$REPO/.run}
case $RUN in
/*) ;;
*) RUN=$PWD/$RUN ;;
esac
RUN=${RUN%/}
TLS=$RUN/pgtls

die() {
    echo "pgtls: error: $*" >&2
    exit 1
}

usage() {
    echo "usage: deploy/pgtls.sh on|off|status   (run directory: $RUN)"
}

state() {
    [[ -s $RUN/$1 ]] && head -n 1 "$RUN/$1" || true
}

pg_bindir() {
    local v
    v=$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    [[ -n $v && -x /usr/lib/postgresql/$v/bin/psql ]] || die "PostgreSQL binaries not found"
    echo "/usr/lib/postgresql/$v/bin"
}

psql_admin() {
    "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
}

# The CA and the server certificate, made once per run directory.
make_certs() {
    local ext
    umask 077
    mkdir -p "$TLS"
    if [[ ! -s $TLS/ca.crt || ! -s $TLS/ca.key ]]; then
        openssl req -x509 -new -nodes -days 30 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
            -subj "/O=ossd dev stack/CN=ossd dev stack CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null || die "openssl: CA"
        rm -f "$TLS/server.crt"
    fi
    if [[ ! -s $TLS/server.crt || ! -s $TLS/server.key ]]; then
        ext=$TLS/server.ext
        cat >"$ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
        openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
            -subj "/O=ossd dev stack/CN=localhost" -keyout "$TLS/server.key" \
            -out "$TLS/server.csr" 2>/dev/null || die "openssl: server key"
        openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" \
            -CAcreateserial -days 30 -extfile "$ext" -out "$TLS/server.crt" 2>/dev/null ||
            die "openssl: server certificate"
        rm -f "$TLS/server.csr"
    fi
    chmod 0644 "$TLS/ca.crt"
    chmod 0755 "$TLS"
}

url() {
    echo "postgresql://postgres@localhost:$PORT/ossd?sslmode=verify-full&sslrootcert=$TLS/ca.crt"
}

cmd_on() {
    make_certs
    # the server reads them as the postgres user, from its data directory
    local own=()
    [[ $(id -u) -eq 0 ]] && own=(-o postgres -g postgres)
    install "${own[@]}" -m 0644 "$TLS/server.crt" "$PGDATA/ossd-server.crt"
    install "${own[@]}" -m 0600 "$TLS/server.key" "$PGDATA/ossd-server.key"
    psql_admin -c "ALTER SYSTEM SET ssl_cert_file = 'ossd-server.crt'" \
        -c "ALTER SYSTEM SET ssl_key_file = 'ossd-server.key'" \
        -c "ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2'" \
        -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $(psql_admin -c "SHOW ssl") == on ]] && break
        sleep 0.1
    done
    [[ $(psql_admin -c "SHOW ssl") == on ]] || die "ssl did not turn on; see $PGDATA/postgres.log"
    printf 'export OSSD_PG_TLS_URL=%q\n' "$(url)" >"$TLS/env"
    echo "pgtls: on; $(url)"
    echo "pgtls: for a shell: . $TLS/env"
}

cmd_off() {
    psql_admin -c "ALTER SYSTEM RESET ssl" -c "SELECT pg_reload_conf()" >/dev/null
    echo "pgtls: off"
}

cmd_status() {
    local s
    s=$(psql_admin -c "SHOW ssl")
    echo "ssl: $s"
    [[ $s == on ]] && echo "url: $(url)"
    [[ $s == on ]]
}

main() {
    local cmd=${1:-}
    case $cmd in
    on | off | status) ;;
    -h | --help | help)
        usage
        return 0
        ;;
    *)
        usage >&2
        return 2
        ;;
    esac
    command -v openssl >/dev/null || die "openssl not found (make deps)"
    PGBIN=$(pg_bindir)
    PGDATA=$(state pgdata.path)
    PORT=$(state pg.port)
    [[ -n $PGDATA && -f $PGDATA/PG_VERSION && $PORT =~ ^[0-9]+$ ]] ||
        die "no dev stack PostgreSQL in $RUN (run: deploy/devstack up)"
    "cmd_$cmd"
}

main "$@"
