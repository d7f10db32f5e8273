#!/usr/bin/env bash
# Wall time of single raftctl commands as a user at a shell sees it (process start, JIT, connecting,
# the request, exit): median, min and max over RUNS runs each of put, get and status, against the
# cluster that is running now (`./raftctl cluster up`, or --cluster-dir/--client-config in ARGS).
# Usage: bench/cli-latency.sh [extra raftctl options, e.g. --cluster-dir DIR]   (RUNS=10 by default)
# A figure, not a test: it prints and never fails on time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-10}"
raftctl="${RAFTCTL:-$root/raftctl}"

# Builds raftctl if needed and checks that a cluster answers, outside the timed runs.
if ! "$raftctl" put cli-latency warm-up "$@" >/dev/null; then
  echo "cli-latency: no cluster answered a put (start one with ./raftctl cluster up)" >&2
  exit 3
fi

measure() {
  local name="$1"; shift
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$raftctl" "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v runs="$runs" '
    { t[NR] = $1 }
    END {
      median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "%-7s median %5d ms   min %5d   max %5d   (%d runs)\n", name, median, t[1], t[NR], runs
    }'
}

echo "raftctl wall time, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
measure put put cli-latency "value" "$@"
measure get get cli-latency "$@"
measure status status "$@"
