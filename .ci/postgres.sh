#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL on a Debian machine without systemd, and makes sure the
# test role and database exist. Sourced by .ci/run, so that RAFT_TEST_POSTGRES reaches `bash .ci/test`.
# Safe to run again: every step checks before it acts.

raft_pg_user="${RAFT_PG_USER:-raft}"
raft_pg_password="${RAFT_PG_PASSWORD:-raft}"
raft_pg_database="${RAFT_PG_DATABASE:-raft_test}"

# apt can be busy (another apt run holds /var/lib/dpkg/lock): raft_apt retries instead of failing the whole CI run.
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  raft_apt update -q
  raft_apt install -y -q postgresql
fi

# The Debian package creates one cluster named "main" for its version; find the version rather than assume 15.
raft_pg_version="$(pg_lsclusters --no-header | awk '$2 == "main" { print $1; exit }')"
if [[ -z "$raft_pg_version" ]]; then
  raft_pg_version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  pg_createcluster "$raft_pg_version" main
fi
# The multi-host tests run silos in network namespaces of their own (10.0.0.0/8 addresses on a bridge the test
# makes): PostgreSQL must listen beyond loopback and let those addresses in with a password.
raft_pg_conf="/etc/postgresql/$raft_pg_version/main"
if [[ -d "$raft_pg_conf" ]] && ! grep -q "raftorleans-hosts" "$raft_pg_conf/pg_hba.conf"; then
  echo "listen_addresses = '*' # raftorleans-hosts" >> "$raft_pg_conf/postgresql.conf"
  echo "host all all 10.0.0.0/8 scram-sha-256 # raftorleans-hosts" >> "$raft_pg_conf/pg_hba.conf"
  if pg_lsclusters --no-header | awk -v v="$raft_pg_version" '$1 == v && $2 == "main"' | grep -q online; then
    pg_ctlcluster "$raft_pg_version" main restart
  fi
fi
if ! pg_lsclusters --no-header | awk -v v="$raft_pg_version" '$1 == v && $2 == "main"' | grep -q online; then
  pg_ctlcluster "$raft_pg_version" main start
fi
raft_pg_port="$(pg_lsclusters --no-header | awk -v v="$raft_pg_version" '$1 == v && $2 == "main" { print $3; exit }')"

raft_pg_psql() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -X -p $raft_pg_port $*"; }
for attempt in $(seq 1 30); do
  if raft_pg_psql "-c 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
if [[ "$(raft_pg_psql "-tAc \"select 1 from pg_roles where rolname = '$raft_pg_user'\"")" != "1" ]]; then
  raft_pg_psql "-c \"create role $raft_pg_user login password '$raft_pg_password'\""
fi
if [[ "$(raft_pg_psql "-tAc \"select 1 from pg_database where datname = '$raft_pg_database'\"")" != "1" ]]; then
  raft_pg_psql "-c \"create database $raft_pg_database owner $raft_pg_user\""
fi

export RAFT_TEST_POSTGRES="Host=127.0.0.1;Port=$raft_pg_port;Username=$raft_pg_user;Password=$raft_pg_password;Database=$raft_pg_database"
echo "postgres.sh: PostgreSQL $raft_pg_version on port $raft_pg_port, RAFT_TEST_POSTGRES set (database $raft_pg_database)"
