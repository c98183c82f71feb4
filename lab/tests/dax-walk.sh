#!/bin/bash
# lab/tests/dax-walk.sh — INSIDE the guest (LAB_NET=open: the host's loopback is 10.0.2.2; LAB_HOSTFWD: host
# 127.0.0.1:PORT reaches this guest's PORT): the guest side of the DAX walk. lab/test.sh first runs
# lab/tools/recovery-stack.sh with LAB_WALK=dax-walk on the host (a real hub with its web UI, tokens, and a runner that
# starts e2e/lab-tests/dax-walk.spec.ts once this guest is ready). Here:
#   1. region A: an fsdax namespace with ext4 -b 4096 mounted dax=inode and a small tree (data/ with an older file and
#      a subdirectory, logs/ with a file); region B: left empty (free space for the namespace transitions);
#   2. the daxfleet agent, enrolled with the join token, listening on the forwarded port; once the hub's inventory
#      lists the mount, $LAB_OUT/dax-walk.ready tells the host's runner to start Playwright;
#   3. while Playwright walks the UI, this guest answers its requests (lab/tools/dax-guest.sh: create a file, hold one
#      open, list namespaces and capacity, read flags) — each answer is what ndctl, xfs_io and statx say here;
#   4. once Playwright is done, this guest checks on its own what the walk should have left behind and adds PASS/FAIL
#      lines: flags (xfs_io lsattr), effective DAX (statx), the namespace sequence seen at each step (ndctl list),
#      in the same python process that answered the requests.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
source "$LAB_DIR/tools/dax-guest.sh"
HOST_ID=lab-dax
HUB=${LAB_RW_HUB:-}
PORT=${LAB_HOSTFWD:-}
MNT=/mnt/dw
if [ "$SELF" = 1 ]; then skip dax-walk "no daxfleet CLI at $CLI"; exit 0; fi
[ -n "$HUB" ] && [ -n "$PORT" ] || { fail dax-walk "LAB_RW_HUB / LAB_HOSTFWD not set (run through lab/test.sh)"; exit 0; }

hub() { curl -sS --fail-with-body --max-time 10 -H "authorization: Bearer ${DAXFLEET_LAB_HUB_TOKEN:-}" "$HUB/api/v1$1"; }
finish() {
  [ -n "${agent:-}" ] && { kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; }
  [ -n "$(dg_holder)" ] && kill "$(dg_holder)" 2>/dev/null
  [ -f "$LAB_OUT/playwright.results" ] || fail dw-ui "Playwright did not finish while the guest waited: $(tail -3 "$LAB_OUT/playwright.log" 2>/dev/null | tr '\n' ' ')"
}
trap finish EXIT

# the agent first: node starts slowly under TCG; the namespace and the tree are made meanwhile (its next scan finds them)
step "agent -> $HUB, listening on :$PORT (host 127.0.0.1:$PORT)"
node "$CLI" serve --role agent --hub-url "$HUB" --hostname "$HOST_ID" --host-id "$HOST_ID" \
  --host 0.0.0.0 --port "$PORT" --advertise-url "http://127.0.0.1:$PORT" \
  --data-dir /tmp/daxfleet-agent --interval 3000 > "$LAB_OUT/agent.log" 2>&1 &
agent=$!

step "region A: fsdax + ext4 dax=inode + tree; region B: free"
init_labels
R=($(regions))
[ "${#R[@]}" -ge 2 ] || { fail dw-setup "need two regions, have: ${R[*]}"; exit 0; }
mkns "${R[0]}" fsdax 256M dw-fsdax -M mem
NS=$(nsfield dw-fsdax dev); PX=$(nsfield dw-fsdax blockdev)
must mkfs.ext4 -q -F -b 4096 "/dev/$PX"
mkdir -p "$MNT"; must mount -o dax=inode "/dev/$PX" "$MNT"
mkdir -p "$MNT/data/sub" "$MNT/logs"
head -c 65536 /dev/urandom > "$MNT/data/old.tbl"
head -c 8192 /dev/urandom > "$MNT/logs/held.log"
sync
# the premise: nothing is flagged, nothing is DAX yet (dax=inode, no flags)
dg_attrs "$MNT/data" "$MNT/data/sub" "$MNT/data/old.tbl" "$MNT/logs" "$MNT/logs/held.log" > "$LAB_OUT/dw-attrs-before.json"
if ! grep -q -E '"(flag|dax)": true|"missing"' "$LAB_OUT/dw-attrs-before.json"; then pass dw-setup; else fail dw-setup "flags or DAX already set before the walk: $(cat "$LAB_OUT/dw-attrs-before.json")"; exit 0; fi
dg_ndctl before > /dev/null

step "waiting for the hub's inventory to list $MNT"
ready=0; deadline=$((SECONDS + ${LAB_DW_REPORT_WAIT:-150}))
while [ $SECONDS -lt $deadline ]; do
  hub "/hosts/$HOST_ID/inventory" > "$LAB_OUT/inventory-before.json" 2>/dev/null \
    && grep -q "\"mountpoint\":\"$MNT\"" "$LAB_OUT/inventory-before.json" \
    && grep -q "\"dev\":\"$NS\"" "$LAB_OUT/inventory-before.json" && { ready=1; break; }   # (grep: python starts slowly here)
  kill -0 $agent 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" = 1 ]; then pass dw-agent-reported
else fail dw-agent-reported "the hub's inventory of $HOST_ID never listed $NS and the mount $MNT (${LAB_DW_REPORT_WAIT:-150} s)"; tail -20 "$LAB_OUT/agent.log" | sed 's/^/    /'; exit 0; fi

cat > "$LAB_OUT/dax-walk.ready.tmp" <<EOF
{"host_id":"$HOST_ID","mountpoint":"$MNT","namespace":"$NS","blockdev":"$PX","fs_region":"${R[0]}","free_region":"${R[1]}",
 "dir":"$MNT/data","subdir":"$MNT/data/sub","old_file":"$MNT/data/old.tbl","new_file":"$MNT/data/new.tbl",
 "logs":"$MNT/logs","held_file":"$MNT/logs/held.log","requests":"$DG_REQ","answers":"$DG_ANS"}
EOF
mv "$LAB_OUT/dax-walk.ready.tmp" "$LAB_OUT/dax-walk.ready"

step "answering the walk's requests until Playwright is done, then the guest's own checks"
dg_serve_then_check "$LAB_OUT/playwright.done" "${LAB_DW_PW_WAIT:-420}" "${R[1]}"
if [ -f "$LAB_OUT/playwright.results" ]; then
  cat "$LAB_OUT/playwright.results"
  grep -E '^(PASS|FAIL|SKIP) ' "$LAB_OUT/playwright.results" >> "$RESULTS"
fi
exit 0
