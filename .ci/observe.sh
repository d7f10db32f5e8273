#!/usr/bin/env bash
# Installs (if missing) what the observability tests need: promtool (Debian's prometheus package) to check
# the silos' /metrics output, and a headless Chromium with its WebDriver for the dashboard's browser test.
# Sourced by .ci/run; safe to run again: it installs only what is missing.

source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

raft_observe_missing=()
command -v promtool >/dev/null 2>&1 || raft_observe_missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || raft_observe_missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || raft_observe_missing+=(chromium-driver)
if (( ${#raft_observe_missing[@]} > 0 )); then
  raft_apt update -q
  # --no-install-recommends: the prometheus package recommends node exporters and the like, which the
  # tests do not use; its daemon is never started (promtool is all the tests run).
  raft_apt install -y -q --no-install-recommends "${raft_observe_missing[@]}"
fi
echo "observe.sh: promtool $(promtool --version 2>&1 | head -n 1 | awk '{print $3}'), $(chromium --version 2>/dev/null), $(chromedriver --version 2>/dev/null | awk '{print $1, $2}')"
