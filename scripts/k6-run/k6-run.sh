#!/bin/sh
# npm run smoke | load | stress: `k6 run` of one shipped script, with whatever follows `--` given to k6 before the
# script (npm appends it at the end, and k6's own docs put options first: `k6 run -e NAME=VALUE script.ts`).
#
#   npm run load -- -e BASE_URL=https://dev.loadlab.example.com -e DURATION=10m
#
# exec, so that Ctrl-C and SIGTERM reach k6 itself, which then ends the test and still prints its summary.
set -eu
script="$1"
shift
if ! command -v k6 >/dev/null 2>&1; then
    echo "k6 is not on PATH: install k6 v2 (https://grafana.com/docs/k6/latest/set-up/install-k6/), then run this again" >&2
    exit 127
fi
exec k6 run "$@" "$script"
