#!/bin/bash
# lab/tests/agent-report.sh HUB_URL — INSIDE the guest (layout applied, QEMU user-net without restrict, so the
# host's loopback is 10.0.2.2): records what ndctl and daxctl print, then runs the daxfleet AGENT against the hub on
# the host until the hub has its report. lab/test.sh then compares the hub's stored inventory, printed as ndctl and
# daxctl would, with these recordings: the whole agent -> hub path against the real kernel.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
HUB=$1
HOST_ID=lab-agent
ndctl list -BDRNMX -v > "$LAB_OUT/agent-ndctl.json"
daxctl list -DRM > "$LAB_OUT/agent-daxctl.json"
if [ "$SELF" = 1 ]; then skip agent-report "no daxfleet CLI at $CLI"; exit 0; fi
# the agent enrolls with DAXFLEET_JOIN_TOKEN (made by lab/test.sh through the hub's REST API)
node "$CLI" serve --role agent --hub-url "$HUB" --hostname "$HOST_ID" --host-id "$HOST_ID" \
  --data-dir /tmp/daxfleet-agent --port 0 --interval 2000 > "$LAB_OUT/agent.log" 2>&1 &
agent=$!
# the hub answers 404 until the first report is stored
reported=0
for _ in $(seq 1 90); do
  if node -e 'fetch(process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } })
        .then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
       "$HUB/api/v1/hosts/$HOST_ID/inventory" "${DAXFLEET_LAB_HUB_TOKEN:-}"; then reported=1; break; fi
  kill -0 $agent 2>/dev/null || break
  sleep 1
done
kill $agent 2>/dev/null; wait $agent 2>/dev/null
if [ "$reported" = 1 ]; then pass agent-reported
else fail agent-reported "the hub never got the agent's report (agent log: $LAB_OUT/agent.log)"; sed 's/^/    /' "$LAB_OUT/agent.log" | tail -20; fi
