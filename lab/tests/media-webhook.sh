#!/bin/bash
# lab/tests/media-webhook.sh — INSIDE the guest (LAB_NET=open: the host's loopback is 10.0.2.2): media-error
# alerts end to end. lab/test.sh first runs lab/tools/alert-stack.sh on the host (a real hub, a real webhook
# receiver on host loopback that verifies every x-daxfleet-signature, three subscriptions made through the REST
# API: dx = daxfleet JSON, am = Alertmanager v4, ce = CloudEvents) and passes LAB_MW_RX, LAB_MW_HUB,
# DAXFLEET_JOIN_TOKEN and DAXFLEET_LAB_HUB_TOKEN in. Here:
#   1. the daxfleet agent enrolls with the join token; meanwhile namespaces are made: fsdax (map=mem) and raw on
#      one region, devdax (4K) on the other; the hub gets a report that lists them;
#   2. (a) a bad range written to /sys/block/pmemX/badblocks of the fsdax namespace (the kernel does not notify:
#      the agent's re-read finds it) and (b) region poison under the devdax namespace through a software
#      machine check (mce_poison: the kernel notifies regionN/badblocks). For each, every subscription must get a
#      correctly signed badblock-new whose coordinates are the ones computed here from sysfs;
#   3. clearing: disable + enable the fsdax namespace, which drops what was written to its block device's list, so
#      a badblock-cleared must arrive (Alertmanager: the same alert, same fingerprint, `resolved`). The devdax
#      namespace is disabled and enabled too: the MCE poison stays in the bus's poison list and the kernel lists
#      it again (nvdimm_badblocks_populate). QEMU has no clear-error command, so region poison cannot be cleared
#      in the lab: the test asserts it is still listed, and that no badblock-cleared was sent for it up to the
#      alert for a later marker range (c), written to the raw namespace's list after the enables.
# Expected coordinates come from the injection parameters and sysfs (resource attributes), not from daxfleet.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
HOST_ID=lab-media
RX=${LAB_MW_RX:-}
HUB=${LAB_MW_HUB:-}
if [ "$SELF" = 1 ]; then skip media-webhook "no daxfleet CLI at $CLI"; exit 0; fi
[ -n "$RX" ] && [ -n "$HUB" ] || { fail media-webhook "LAB_MW_RX / LAB_MW_HUB not set (run through lab/test.sh)"; exit 0; }

# rx PATH: GET from the receiver (body on stdout; non-2xx = failure)
rx() { curl -sS --fail-with-body --max-time 150 "$RX$1"; }
# mark: the receiver's current sequence number (an /inject record with a tag, used as a "since" cursor)
mark() { rx "/inject?tag=$1" | cut -d' ' -f1; }
# await NAME QUERY: long-poll the receiver for a delivery matching QUERY; saved as $LAB_OUT/NAME.json
await() {
  if rx "/wait?timeout=${LAB_MW_WAIT:-90}&$2" > "$LAB_OUT/$1.json" 2>"$LAB_OUT/$1.err"; then return 0; fi
  fail "$1" "no delivery matching $2 within ${LAB_MW_WAIT:-90} s: $(head -c 300 "$LAB_OUT/$1.json" "$LAB_OUT/$1.err" | tr '\n' ' ')"
  return 1
}
finish() {
  [ -n "${agent:-}" ] && { kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; }
  rx /records?since=0 > "$LAB_OUT/receiver-records.json" 2>/dev/null
  curl -sS -X POST --max-time 10 "$RX/quit" > /dev/null 2>&1
}
trap finish EXIT

# the agent first: node takes long to start under TCG, the namespaces are made meanwhile
step "agent -> $HUB"
node "$CLI" serve --role agent --hub-url "$HUB" --hostname "$HOST_ID" --host-id "$HOST_ID" \
  --data-dir /tmp/daxfleet-agent --port 0 --interval "${LAB_MW_INTERVAL:-10000}" > "$LAB_OUT/agent.log" 2>&1 &
agent=$!

step "namespaces"
init_labels
R=($(regions))
mkns "${R[0]}" fsdax 128M mw-fsdax -M mem
mkns "${R[0]}" raw 64M mw-raw
mkns "${R[1]}" devdax 128M mw-devdax -a 4K
FNS=$(nsfield mw-fsdax dev); PX=$(nsfield mw-fsdax blockdev)
RNS=$(nsfield mw-raw dev); PR=$(nsfield mw-raw blockdev)
DNS=$(nsfield mw-devdax dev); DX=$(devdax_chardev mw-devdax)
region_of() { basename "$(readlink -f "/sys/bus/nd/devices/$1/..")"; }
# dimm_of REGION SECTOR: "dimm=nmemN dpa=0x.." for a single-DIMM region (mapping0 is "nmemN,offset,length")
dimm_of() { local m; IFS=, read -r -a m < "/sys/bus/nd/devices/$1/mapping0"
            printf 'dimm=%s dpa=0x%x' "${m[0]}" $(( m[1] + $2 * 512 )); }
RF=$(region_of "$FNS"); RR=$(region_of "$RNS"); RD=$(region_of "$DNS")
echo "fsdax $FNS ($PX) in $RF, raw $RNS ($PR) in $RR, devdax $DNS ($DX) in $RD"

# injections start once the hub has a report that lists the namespaces (the agent watches what it scanned)
reported=0
for _ in $(seq 1 240); do
  curl -sf --max-time 5 -H "authorization: Bearer ${DAXFLEET_LAB_HUB_TOKEN:-}" \
    "$HUB/api/v1/hosts/$HOST_ID/inventory" 2>/dev/null | grep -q '"mw-devdax"' && { reported=1; break; }
  kill -0 $agent 2>/dev/null || break
  sleep 0.5
done
if [ "$reported" = 1 ]; then pass mw-agent-reported
else fail mw-agent-reported "the hub never got a report listing the namespaces"; sed 's/^/    /' "$LAB_OUT/agent.log" | tail -20; exit 0; fi

# expectations: KEY=VALUE lines per range, read by media-webhook-check.py
SPEC=$LAB_OUT/media-webhook.spec
: > "$SPEC"
spec() { echo "$*" >> "$SPEC"; }

step "(a) bad range written to /sys/block/$PX/badblocks (fsdax $FNS)"
SA=2048
A_OFF=$(( ( $(ns_start "$FNS") + $(data_offset "$FNS") ) / 512 + SA ))
S0=$(mark a)
inject_bb "$PX" $SA 8
spec "range a region=$RF region_offset=$A_OFF length=8 source=blockdev namespace=$FNS namespace_mode=fsdax namespace_offset=$SA blockdev=$PX blockdev_offset=$SA $(dimm_of "$RF" $A_OFF)"
spec "since a $S0"
await mw-a-wait "since=$S0&hook=dx&event=badblock-new&region=$RF&region_offset=$A_OFF"

step "(b) region poison (MCE) under devdax $DNS"
B_NS=$(( 64 << 20 ))                                  # 64 MiB into the device-dax data
B_BYTES=$(( $(ns_start "$DNS") + $(data_offset "$DNS") + B_NS ))
S1=$(mark b)
mce_poison "$RD" $B_BYTES
spec "range b region=$RD region_offset=$(( B_BYTES / 512 )) length=8 source=region namespace=$DNS namespace_mode=devdax namespace_offset=$(( B_NS / 512 )) chardev=$DX chardev_offset_bytes=$B_NS $(dimm_of "$RD" $(( B_BYTES / 512 )))"
spec "since b $S1"
await mw-b-wait "since=$S1&hook=dx&event=badblock-new&region=$RD&region_offset=$(( B_BYTES / 512 ))"
# every format, not only the first one awaited
for h in am ce; do
  await "mw-a-wait-$h" "since=$S0&hook=$h&event=badblock-new&region=$RF&region_offset=$A_OFF"
  await "mw-b-wait-$h" "since=$S1&hook=$h&event=badblock-new&region=$RD&region_offset=$(( B_BYTES / 512 ))"
done

step "clearing: disable + enable $FNS and $DNS"
S2=$(mark clear)
spec "since clear $S2"
must ndctl disable-namespace "$FNS" >/dev/null
must ndctl enable-namespace "$FNS" >/dev/null
must ndctl disable-namespace "$DNS" >/dev/null
must ndctl enable-namespace "$DNS" >/dev/null
# what the kernel lists now: the written range is gone, the poison is back (the premise of the checks below)
if [ -z "$(cat "/sys/block/$PX/badblocks")" ] && grep -q "^$(( B_BYTES / 512 )) 8$" "/sys/bus/nd/devices/$RD/badblocks"; then
  pass mw-kernel-after-enable
else
  fail mw-kernel-after-enable "/sys/block/$PX/badblocks: '$(tr '\n' ' ' < "/sys/block/$PX/badblocks")', $RD/badblocks: '$(tr '\n' ' ' < "/sys/bus/nd/devices/$RD/badblocks")'"
fi
for h in dx ce; do await "mw-a-cleared-$h" "since=$S2&hook=$h&event=badblock-cleared&region=$RF&region_offset=$A_OFF"; done
await mw-a-resolved-am "since=$S2&hook=am&event=badblock-cleared&region=$RF&region_offset=$A_OFF&status=resolved"

step "(c) marker: bad range written to /sys/block/$PR/badblocks (raw $RNS)"
SC=4096
C_OFF=$(( $(ns_start "$RNS") / 512 + SC ))
S3=$(mark c)
inject_bb "$PR" $SC 8
spec "range c region=$RR region_offset=$C_OFF length=8 source=blockdev namespace=$RNS namespace_mode=raw namespace_offset=$SC blockdev=$PR blockdev_offset=$SC $(dimm_of "$RR" $C_OFF)"
spec "since c $S3"
for h in dx am ce; do await "mw-c-wait-$h" "since=$S3&hook=$h&event=badblock-new&region=$RR&region_offset=$C_OFF"; done

# all deliveries so far, checked on their signatures, formats and coordinates
kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; agent=""
rx /records?since=0 > "$LAB_OUT/receiver-records.json"
python3 "$LAB_DIR/tests/media-webhook-check.py" "$SPEC" "$LAB_OUT/receiver-records.json" > "$LAB_OUT/media-webhook.check" 2>&1
cat "$LAB_OUT/media-webhook.check"
grep -E '^(PASS|FAIL|SKIP) ' "$LAB_OUT/media-webhook.check" >> "$RESULTS"
grep -q '^\(PASS\|FAIL\) ' "$LAB_OUT/media-webhook.check" || fail mw-check "media-webhook-check.py printed no results"
exit 0
