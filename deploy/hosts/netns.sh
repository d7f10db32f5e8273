#!/usr/bin/env bash
# Several hosts on one Linux machine: one network namespace per silo, each with its own address on a bridge,
# membership and grain state in PostgreSQL (reached at the bridge's address). Needs root and iproute2.
#
#   deploy/hosts/netns.sh up           make the hosts, start silo nI in host I (I = 1..N), write client.json
#   deploy/hosts/netns.sh down         stop the silos, remove the hosts and the bridge (safe to run again)
#   deploy/hosts/netns.sh kill nI      kill -9 the silo of host I;  start nI: start it again with its data
#   deploy/hosts/netns.sh cut nI nJ    drop every packet between hosts I and J, both ways (a real partition:
#                                      routes that discard, so the silos see silence, not a refusal)
#   deploy/hosts/netns.sh isolate nI   cut host I from every other host (PostgreSQL stays reachable)
#   deploy/hosts/netns.sh heal         remove every cut
#
# Settings (environment):
#   RAFT_HOSTS_DIR        required: folder for the hosts' config files, logs, pids and client.json
#   RAFT_POSTGRES         required for up: an Npgsql connection string; its Host is replaced by the bridge address
#   RAFT_HOSTS_NAME       prefix of namespace and interface names (default rh; at most 6 characters)
#   RAFT_HOSTS_SUBNET     first three octets (default 10.77.0): the bridge is .1, host I is .(10+I)
#   RAFT_HOSTS_NODES      number of hosts (default 3)
#   RAFT_HOSTS_PORT       silo port on every host (default 11100); gateway port +10
#   RAFT_SILO_DLL         the silo (default: src/RaftOrleans.Silo/bin/Release/net10.0/raft-silo.dll, built if absent)
#
# The connection string (a password) goes into each host's config file (mode 600), never on a command line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${RAFT_HOSTS_DIR:?RAFT_HOSTS_DIR: the folder for the files of this cluster}"
name="${RAFT_HOSTS_NAME:-rh}"
subnet="${RAFT_HOSTS_SUBNET:-10.77.0}"
nodes="${RAFT_HOSTS_NODES:-3}"
port="${RAFT_HOSTS_PORT:-11100}"
bridge="${name}br"
(( ${#name} <= 6 )) || { echo "netns.sh: RAFT_HOSTS_NAME '$name' is longer than 6 characters (interface names are at most 15)" >&2; exit 2; }

host_ns() { echo "${name}h$1"; }
host_ip() { echo "$subnet.$((10 + $1))"; }
node_number() {
  [[ "$1" =~ ^n([0-9]+)$ ]] && (( BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] <= nodes )) \
    || { echo "netns.sh: '$1' is not a node of this cluster (n1..n$nodes)" >&2; exit 2; }
  echo "${BASH_REMATCH[1]}"
}

silo_dll() {
  local dll="${RAFT_SILO_DLL:-$root/src/RaftOrleans.Silo/bin/Release/net10.0/raft-silo.dll}"
  if [[ ! -f "$dll" ]]; then
    dotnet build "$root/src/RaftOrleans.Silo/RaftOrleans.Silo.csproj" -c Release --nologo -v quiet >&2
  fi
  echo "$dll"
}

# The connection string with Host set to the bridge address (the hosts reach PostgreSQL there).
postgres_from_hosts() {
  local conn="${RAFT_POSTGRES:?RAFT_POSTGRES: a PostgreSQL connection string}" out="" part
  IFS=';' read -ra parts <<<"$conn"
  for part in "${parts[@]}"; do
    [[ -z "$part" || "${part,,}" == host=* || "${part,,}" == server=* ]] && continue
    out+="$part;"
  done
  echo "Host=$subnet.1;$out"
}

write_configs() {
  local conn cluster voters i
  conn="$(postgres_from_hosts)"
  cluster="$(cat "$dir/cluster-id")"
  voters="$(seq -f '"n%g"' -s, 1 "$nodes")"
  mkdir -p "$dir/data" "$dir/logs"
  for i in $(seq 1 "$nodes"); do
    (umask 077; cat >"$dir/n$i.json" <<EOF
{
  "_comment": "Host $i of a netns cluster (deploy/hosts/netns.sh): the silo of node n$i on its own address.",
  "node": "n$i",
  "clusterId": "$cluster",
  "serviceId": "$cluster",
  "advertisedAddress": "$(host_ip "$i")",
  "siloPort": $port,
  "gatewayPort": $((port + 10)),
  "dataDir": "$dir/data",
  "storage": { "kind": "postgres", "connectionString": "$conn" },
  "clustering": { "kind": "postgres", "connectionString": "$conn" },
  "raft": { "voters": [$voters], "tickIntervalMs": 25, "electionTicks": 12, "heartbeatTicks": 2 }
}
EOF
    )
  done
  # What raftctl --client-config needs; the client runs outside the hosts, on the bridge.
  (umask 077; {
    echo "{"
    echo "  \"clusterId\": \"$cluster\", \"serviceId\": \"$cluster\","
    echo "  \"nodes\": {"
    for i in $(seq 1 "$nodes"); do
      local separator=","
      (( i < nodes )) || separator=""
      printf '    "n%d": "%s:%d"%s\n' "$i" "$(host_ip "$i")" $((port + 10)) "$separator"
    done
    echo "  },"
    echo "  \"connectTimeoutMs\": 3000, \"responseTimeoutMs\": 2000"
    echo "}"
  } >"$dir/client.json")
}

# Alive and not a zombie (a killed silo's parent is gone, so it waits to be reaped for a moment).
is_running() {
  kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

start_node() {
  local i="$1" dll pid
  dll="$(silo_dll)"
  if [[ -f "$dir/n$i.pid" ]] && is_running "$(cat "$dir/n$i.pid")"; then
    echo "netns.sh: n$i is already running (pid $(cat "$dir/n$i.pid"))" >&2; exit 1
  fi
  echo "--- netns.sh: starting n$i at $(date -u '+%F %T') UTC ---" >>"$dir/logs/n$i.log"
  # ip netns exec becomes setsid, which becomes sh, which becomes the silo: $! is the silo's pid.
  ip netns exec "$(host_ns "$i")" setsid sh -c 'exec "$@" >>"$0" 2>&1 </dev/null' "$dir/logs/n$i.log" \
    dotnet "$dll" --config "$dir/n$i.json" &
  pid=$!
  echo "$pid" >"$dir/n$i.pid"
  echo "netns.sh: started n$i (pid $pid) at $(host_ip "$i"):$port, gateway $((port + 10)), log $dir/logs/n$i.log"
}

# A new link can drop the first packets for a moment; a silo whose first database connection fails stops.
wait_for_postgres() {
  local i="$1" pg_port
  pg_port="$(grep -oiE '(^|;)port=[0-9]+' <<<"$RAFT_POSTGRES" | grep -oE '[0-9]+' || echo 5432)"
  for _ in $(seq 1 40); do
    if ip netns exec "$(host_ns "$i")" timeout 1 bash -c "echo >/dev/tcp/$subnet.1/$pg_port" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "netns.sh: host $i cannot reach PostgreSQL at $subnet.1:$pg_port (does it listen beyond loopback? see .ci/postgres.sh)" >&2
  exit 1
}

up() {
  mkdir -p "$dir"
  echo "raftorleans-${name}-$(date +%s)" >"$dir/cluster-id"   # fresh rows in PostgreSQL for every up
  write_configs
  ip link add "$bridge" type bridge
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up
  for i in $(seq 1 "$nodes"); do
    local ns; ns="$(host_ns "$i")"
    ip netns add "$ns"
    # ip netns exec mounts these over /etc/resolv.conf and /etc/hosts inside the host. No name server is
    # reachable from a host, so lookups would wait out the resolver's timeouts (10 s each); with none
    # configured they fail at once, and the hosts' names resolve from the file.
    mkdir -p "/etc/netns/$ns"
    echo "# deploy/hosts/netns.sh: no name server inside host $i" >"/etc/netns/$ns/resolv.conf"
    { echo "127.0.0.1 localhost $(hostname)"; for j in $(seq 1 "$nodes"); do echo "$(host_ip "$j") $(host_ns "$j")"; done; } >"/etc/netns/$ns/hosts"
    ip link add "${name}v$i" type veth peer name eth0 netns "$ns"
    ip link set "${name}v$i" master "$bridge" up
    ip -n "$ns" addr add "$(host_ip "$i")/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$subnet.1"
  done
  for i in $(seq 1 "$nodes"); do wait_for_postgres "$i"; done
  for i in $(seq 1 "$nodes"); do start_node "$i"; done
  echo "netns.sh: $nodes hosts on $subnet.0/24; raftctl status --client-config $dir/client.json"
}

down() {
  local i pid
  for i in $(seq 1 "$nodes"); do
    [[ -f "$dir/n$i.pid" ]] || continue
    pid="$(cat "$dir/n$i.pid")"
    kill -TERM "$pid" 2>/dev/null || true
  done
  for i in $(seq 1 "$nodes"); do
    [[ -f "$dir/n$i.pid" ]] || continue
    pid="$(cat "$dir/n$i.pid")"
    for _ in $(seq 1 50); do is_running "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/n$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    ip netns del "$(host_ns "$i")" 2>/dev/null || true
    rm -rf "/etc/netns/$(host_ns "$i")"
  done
  ip link del "$bridge" 2>/dev/null || true
  echo "netns.sh: down"
}

cut_pair() {
  local a="$1" b="$2"
  ip -n "$(host_ns "$a")" route replace blackhole "$(host_ip "$b")/32"
  ip -n "$(host_ns "$b")" route replace blackhole "$(host_ip "$a")/32"
}

heal() {
  local i ns route
  for i in $(seq 1 "$nodes"); do
    ns="$(host_ns "$i")"
    while read -r route; do
      [[ -n "$route" ]] && ip -n "$ns" route del $route
    done < <(ip -n "$ns" route show type blackhole)
  done
  echo "netns.sh: healed"
}

command="${1:-}"
shift || true
case "$command" in
  up) up ;;
  down) down ;;
  kill)
    i="$(node_number "${1:-}")"
    pid="$(cat "$dir/n$i.pid")"
    kill -KILL "$pid"
    for _ in $(seq 1 50); do is_running "$pid" || break; sleep 0.1; done
    echo "netns.sh: killed n$i" ;;
  start) start_node "$(node_number "${1:-}")" ;;
  cut)
    cut_pair "$(node_number "${1:-}")" "$(node_number "${2:-}")"
    echo "netns.sh: cut ${1} from ${2}" ;;
  isolate)
    i="$(node_number "${1:-}")"
    for j in $(seq 1 "$nodes"); do (( j == i )) || cut_pair "$i" "$j"; done
    echo "netns.sh: isolated ${1}" ;;
  heal) heal ;;
  *) echo "usage: deploy/hosts/netns.sh up|down|kill nI|start nI|cut nI nJ|isolate nI|heal (settings: see the head of this file)" >&2; exit 2 ;;
esac
