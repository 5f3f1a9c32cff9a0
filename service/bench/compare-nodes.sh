#!/usr/bin/env bash
# Usage: bash service/bench/compare-nodes.sh ROUNDS NODE...
#
# `npm run bench` with the service on each NODE in turn (BENCH_NODE), ROUNDS times, then `npm run bench:summary` over
# these runs: one column per Node, with the medians' ratios. A NODE is a path to a node binary, or a major version
# (`24`), fetched as node-<platform>-<arch>@<major> from the npm registry (the binary npm's `node` package installs;
# its newest release of that line) into ${TMPDIR:-/tmp}/bench-node-<major>, reused by later calls.
#
# One build; the benchmark itself (and autocannon, when wrk is not installed) runs on the Node that runs this script.
# Rounds are interleaved, each starting one Node later, to spread the machine's drift over every Node. On a shared
# machine each run waits until other processes have used under 4 % of a core for 10 s, and a run during which they
# used more than BENCH_MAX_OTHERS CPU seconds (default 4; /proc/stat's busy time minus this script's own children)
# is moved to service/bench-results/contaminated/ and repeated. BENCH_SECONDS and the benchmark's other variables
# pass through.
set -euo pipefail

if [[ $# -lt 2 || ! "$1" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash service/bench/compare-nodes.sh ROUNDS NODE...   (NODE: a node binary, or a major version such as 24)" >&2
    exit 2
fi
rounds="$1"
shift

# Each NODE as a binary: majors are fetched once.
nodes=()
for wanted in "$@"; do
    if [[ "$wanted" =~ ^[0-9]+$ ]]; then
        dir="${TMPDIR:-/tmp}/bench-node-$wanted"
        if [[ ! -x "$dir/bin/node" ]]; then
            package="node-$(node -p 'process.platform + "-" + process.arch')@$wanted"
            echo "Fetching $package from the npm registry into $dir"
            mkdir -p "$dir"
            npm pack --silent --pack-destination "$dir" "$package" >/dev/null
            tar -xzf "$dir"/node-*.tgz -C "$dir" --strip-components=1 package/bin/node
            rm "$dir"/node-*.tgz
        fi
        nodes+=("$dir/bin/node")
    elif [[ "$wanted" == */* ]]; then
        nodes+=("$(realpath "$wanted")") # before the cd below
    else
        binary="$(command -v "$wanted")" || { echo "$wanted: not a command on PATH" >&2; exit 2; }
        nodes+=("$binary")
    fi
done

cd "$(dirname "$0")/.."
npm run build
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; } # user nice system irq softirq steal, in 1/100 s
children() { awk '{split($0, a, ") "); split(a[2], f, " "); print f[14] + f[15]}' /proc/$$/stat; } # cutime + cstime
quiet() {
    local before
    while :; do
        before=$(busy)
        sleep 10
        (($(busy) - before < 40)) && return
        echo "waiting: other processes are busy"
    done
}

files=()
mkdir -p bench-results/contaminated
for ((round = 0; round < rounds; round++)); do
    for ((i = 0; i < ${#nodes[@]}; i++)); do
        node_bin="${nodes[$(((i + round) % ${#nodes[@]}))]}"
        while :; do
            quiet
            echo "round $((round + 1))/$rounds: the service on $node_bin"
            busy_before=$(busy)
            children_before=$(children)
            output=$(BENCH_NODE="$node_bin" node --import tsx bench/run.ts | tee /dev/stderr)
            others=$((($(busy) - busy_before - ($(children) - children_before)) / 100))
            file=$(sed -n 's/^saved //p' <<<"$output")
            if ((others <= ${BENCH_MAX_OTHERS:-4})); then
                files+=("$file")
                break
            fi
            echo "other processes used ${others} CPU seconds during that run: moved to bench-results/contaminated/, repeating"
            mv "$file" bench-results/contaminated/
        done
    done
done
node --import tsx bench/summary.ts "${files[@]}"
