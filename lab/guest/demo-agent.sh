#!/bin/bash
# lab/guest/demo-agent.sh HUB_URL — INSIDE the guest (via `lab demo`, after the layout was applied):
# runs the daxfleet agent against the hub on the host (QEMU user-net: the host's loopback is 10.0.2.2).
# env: LAB_CLI (default $LAB_REPO/apps/api/dist/cli.js), LAB_DEMO_SECONDS (0 = until the guest is stopped),
#      LAB_DEMO_INTERVAL (ms, default 5000), LAB_DEMO_HOSTNAME (default: the guest's hostname)
source "$LAB_DIR/guest/lib.sh"
HUB=$1
CLI=${LAB_CLI:-$LAB_REPO/apps/api/dist/cli.js}
step "demo guest ready"
ndctl list -N -i | python3 -c 'import json,sys
n=json.load(sys.stdin); n=n if isinstance(n,list) else [n]
for x in sorted(n, key=lambda x: [int(v) for v in x["dev"][9:].split(".")]): print("  %-14s %-7s %-4s %11s  %s" % (x["dev"], x["mode"], x.get("map",""), x["size"], x.get("name","")))'
grep -E ' - (xfs|ext4) /dev/pmem' /proc/self/mountinfo | awk '{print "  mount", $5, $(NF-2), $(NF-1), $NF}'
hostport=${HUB#*://}; hostport=${hostport%%/*}; h=${hostport%:*}; p=${hostport##*:}
if timeout 5 bash -c "exec 3<>/dev/tcp/$h/$p" 2>/dev/null; then echo "hub $HUB reachable from the guest"
else echo "WARNING: nothing answers at $HUB from the guest (is the hub running on the host, port $p?)"; fi
if [ ! -f "$CLI" ]; then
  echo "DEMO: no daxfleet CLI at $CLI (build it: pnpm -r build); would run:"
  echo "  node $CLI serve --role agent --hub-url $HUB ..."
  exit 3
fi
step "daxfleet agent -> $HUB"
AGENT=(node "$CLI" serve --role agent --hub-url "$HUB" --hostname "${LAB_DEMO_HOSTNAME:-$(hostname)}"
       --data-dir /tmp/daxfleet-agent --interval "${LAB_DEMO_INTERVAL:-5000}")
echo "+ ${AGENT[*]}"
"${AGENT[@]}" &
pid=$!
if [ "${LAB_DEMO_SECONDS:-0}" -gt 0 ]; then
  sleep "$LAB_DEMO_SECONDS"; kill $pid; wait $pid; echo "DEMO: agent stopped after ${LAB_DEMO_SECONDS}s"
else
  wait $pid; echo "DEMO: agent exited with $?"
fi
