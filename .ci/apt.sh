#!/usr/bin/env bash
# raft_apt ARGS...: apt-get, retried while another apt run holds the dpkg lock (sourced by the install scripts).
raft_apt() {
  local attempt
  for attempt in $(seq 1 30); do
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@"; then return 0; fi
    echo "apt.sh: apt-get $* failed (attempt $attempt), retrying in 5 s" >&2
    sleep 5
  done
  return 1
}
