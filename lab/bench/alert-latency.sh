#!/bin/bash
# lab/bench/alert-latency.sh [COUNT] — ON THE HOST: the time from a bad-block injection in a lab guest to the
# webhook's receipt on host loopback (`pnpm bench:alerts`; not part of CI). COUNT (default 20) injections of each
# kind: a range written to /sys/block/pmemX/badblocks (no kernel notification: the agent's re-read, every 250 ms) and
# region poison through a software machine check (the kernel notifies regionN/badblocks). Prints p50, p90, p99 and
# max per kind, and where the time goes (see lab/bench/alert-latency-report.mjs).
#
# Host side: lab/tools/alert-stack.sh (real hub, webhook receiver that is also the injection clock, one
# daxfleet-format subscription); guest side: lab/bench/alert-latency-guest.sh. Everything the benchmark measured
# is kept in $LAB_CACHE/runs/bench-alerts-*/out/ (bench-injections.tsv, host-receiver.jsonl, agent.log,
# host-hub.log).
# env: LAB_BENCH_INTERVAL (the agent's --interval, ms, default 10000)  LAB_CLI  LAB_CACHE
set -uo pipefail
COUNT=${1:-20}
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || { echo "usage: alert-latency.sh [COUNT] (COUNT: injections of each kind, default 20)" >&2; exit 2; }
BENCH=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
LAB_DIR=$(dirname "$BENCH")
LAB_CACHE=${LAB_CACHE:-$LAB_DIR/.cache}; export LAB_CACHE
CLI=${LAB_CLI:-$(dirname "$LAB_DIR")/apps/api/dist/cli.js}
why=$("$LAB_DIR/lab" _unavailable)
[ -z "$why" ] || { echo "alert-latency: the pmem lab cannot run here: $why" >&2; exit 1; }
[ -f "$CLI" ] || { echo "alert-latency: no daxfleet CLI at $CLI (build it: pnpm -r build)" >&2; exit 1; }

id=bench-alerts-$(date +%Y%m%d-%H%M%S)-$$
out=$LAB_CACHE/runs/$id/out
timeout=$(( 300 + COUNT * 2 * 100 ))
env=$(LAB_MW_HOOKS=dx LAB_MW_MAX_SECONDS=$(( timeout + 60 )) "$LAB_DIR/tools/alert-stack.sh" "$CLI" \
        "$(mktemp -d /tmp/daxfleet-lab-alerts.XXXXXX)" $$ "$out") || { echo "alert-latency: $env" >&2; exit 1; }
read -r -a cfg <<< "LAB_NET=open NDIMM=2 REGION_MB=1024 $env"
rx_local=$(tr ' ' '\n' <<< "$env" | sed -n 's/^LAB_MW_RX_LOCAL=//p')
echo "alert-latency: $COUNT x 2 injections in a lab guest (TCG), agent interval ${LAB_BENCH_INTERVAL:-10000} ms; run $id"
s=$SECONDS
( cd "$LAB_DIR" && env "${cfg[@]}" LAB_RUN_ID="$id" LAB_VERBOSE=0 LAB_TIMEOUT=$timeout \
    ${LAB_BENCH_INTERVAL:+LAB_BENCH_INTERVAL="$LAB_BENCH_INTERVAL"} ${LAB_CLI:+LAB_CLI="$LAB_CLI"} \
    "$LAB_DIR/lab" run bench/alert-latency-guest.sh "$COUNT" ) > "$LAB_CACHE/$id.stderr" 2>&1
rc=$?
curl -sS --max-time 10 "$rx_local/records?since=0" > "$out/receiver-records.json" 2>/dev/null
curl -sS -X POST --max-time 10 "$rx_local/quit" > /dev/null 2>&1
if [ "$rc" != 0 ] || [ ! -s "$out/bench-injections.tsv" ]; then
  echo "alert-latency: the guest failed (exit $rc; console: $LAB_CACHE/runs/$id/console.log)" >&2
  tail -20 "$LAB_CACHE/runs/$id/console.log" >&2; cat "$LAB_CACHE/$id.stderr" >&2
  exit 1
fi
rm -f "$LAB_CACHE/$id.stderr"
echo "guest run: $((SECONDS - s)) s; artifacts in $out"
node "$BENCH/alert-latency-report.mjs" "$out/bench-injections.tsv" "$out/receiver-records.json" "$out/agent.log"
