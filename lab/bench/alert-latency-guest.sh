#!/bin/bash
# lab/bench/alert-latency-guest.sh COUNT — INSIDE the guest, for lab/bench/alert-latency.sh (which starts the hub,
# the webhook receiver and a daxfleet-format subscription on the host and passes LAB_MW_RX, LAB_MW_HUB,
# DAXFLEET_JOIN_TOKEN and DAXFLEET_LAB_HUB_TOKEN in). Runs the daxfleet agent, then COUNT injections of each kind,
# one at a time, each waiting for its webhook before the next:
#   bd   a range written to /sys/block/pmemX/badblocks (fsdax): the kernel does not notify, the agent's 1-s
#        re-read finds it;
#   mce  region poison through a software machine check under a devdax namespace: the NFIT driver adds it to the
#        region's list and notifies regionN/badblocks (poll(POLLPRI) in the agent).
# ONE clock: right before each injection the guest asks the receiver GET /inject?tag=T ("may I inject?") and
# injects as soon as the answer arrives; the receiver recorded T0 when it answered and records T1 when the
# webhook arrives, both on the host. The request goes through bash's /dev/tcp and the injection is a builtin
# echo, so no process is started between T0 and the injection. The guest's own clock ($EPOCHREALTIME) is read
# just before and after the request, so the host can map the agent's detected_at (guest clock) onto its own.
# Writes $LAB_OUT/bench-injections.tsv: tag kind region region_offset seq guest_before_us guest_after_us.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
COUNT=${1:-20}
HOST_ID=lab-bench
RX=${LAB_MW_RX:?run through lab/bench/alert-latency.sh}
HUB=${LAB_MW_HUB:?run through lab/bench/alert-latency.sh}
hp=${RX#http://}; RXH=${hp%%:*}; RXP=${hp##*:}
[ "$SELF" = 0 ] || { echo "FATAL: no daxfleet CLI at $CLI" >&2; exit 1; }

step "namespaces"
init_labels
R=($(regions))
mkns "${R[0]}" fsdax 256M bench-fsdax -M mem
mkns "${R[1]}" devdax 256M bench-devdax -a 4K
FNS=$(nsfield bench-fsdax dev); PX=$(nsfield bench-fsdax blockdev); DNS=$(nsfield bench-devdax dev)
RF=$(basename "$(readlink -f "/sys/bus/nd/devices/$FNS/..")"); RD=$(basename "$(readlink -f "/sys/bus/nd/devices/$DNS/..")")
F_BASE=$(( ( $(ns_start "$FNS") + $(data_offset "$FNS") ) / 512 ))     # region sector of pmemX sector 0
D_BASE=$(( $(ns_start "$DNS") + $(data_offset "$DNS") ))               # region byte of the dax device's byte 0
REGION_SPA=$(cat "/sys/bus/nd/devices/$RD/resource")

step "agent -> $HUB (interval ${LAB_BENCH_INTERVAL:-10000} ms)"
node "$CLI" serve --role agent --hub-url "$HUB" --hostname "$HOST_ID" --host-id "$HOST_ID" \
  --data-dir /tmp/daxfleet-agent --port 0 --interval "${LAB_BENCH_INTERVAL:-10000}" > "$LAB_OUT/agent.log" 2>&1 &
agent=$!
trap 'kill $agent 2>/dev/null' EXIT
for _ in $(seq 1 120); do
  curl -sf -o /dev/null --max-time 5 -H "authorization: Bearer ${DAXFLEET_LAB_HUB_TOKEN:-}" \
    "$HUB/api/v1/hosts/$HOST_ID/inventory" && break
  kill -0 $agent 2>/dev/null || { echo "FATAL: the agent exited" >&2; tail -20 "$LAB_OUT/agent.log" >&2; exit 1; }
  sleep 0.5
done

# mce-inject (as mce_poison in guest/lib.sh): the record is set up before asking, the bank write triggers it.
# The module resets its record after an injection (a second trigger alone logs status 0x8000000000000000,
# which the NFIT handler ignores), so every field is written again each time.
modprobe mce-inject
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
MI=/sys/kernel/debug/mce-inject
MCE_STATUS=$(printf "0x%x" $(( (1<<63) | (1<<61) | (1<<60) | (1<<58) | (0x8<<16) )))   # VAL|UC|EN|ADDRV, memory error
mce_setup() { echo sw > $MI/flags; echo 0 > $MI/cpu; echo "$MCE_STATUS" > $MI/status; echo "$1" > $MI/addr; echo 12 > $MI/misc; }

# ask_inject TAG: GET /inject?tag=TAG through /dev/tcp (builtins only); sets SEQ, G0, G1 (guest clock, us)
ask_inject() {
  local line
  G0=${EPOCHREALTIME/./}
  exec 3<>"/dev/tcp/$RXH/$RXP"
  printf 'GET /inject?tag=%s HTTP/1.0\r\nHost: rx\r\n\r\n' "$1" >&3
  while IFS= read -r line <&3; do line=${line%$'\r'}; [ -z "$line" ] && break; done
  IFS=' ' read -r SEQ _ <&3
  G1=${EPOCHREALTIME/./}
  exec 3<&-
}
# await SEQ REGION OFFSET: the webhook for the range (dx subscription)
await() {
  curl -sS --fail-with-body --max-time 100 \
    "$RX/wait?timeout=90&since=$1&hook=dx&event=badblock-new&region=$2&region_offset=$3" > /dev/null \
    || echo "WARNING: no webhook for $2+$3 within 90 s" >&2
}

OUT=$LAB_OUT/bench-injections.tsv
: > "$OUT"
step "$COUNT x (bd, mce)"
for i in $(seq 1 "$COUNT"); do
  # a random pause (0-1 s): injections must not lock onto the phase of the agent's re-read
  sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
  s=$(( 8192 + i * 64 ))                        # 8 sectors every 64: never adjacent, the kernel does not merge them
  ask_inject "bd-$i"
  echo "$s 8" > "/sys/block/$PX/badblocks"
  printf 'bd-%d\tbd\t%s\t%d\t%s\t%s\t%s\n' "$i" "$RF" $(( F_BASE + s )) "$SEQ" "$G0" "$G1" >> "$OUT"
  await "$SEQ" "$RF" $(( F_BASE + s ))

  sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
  off=$(( D_BASE + i * (2 << 20) ))             # one 4 KiB page every 2 MiB of the dax device
  mce_setup $(( REGION_SPA + off ))
  ask_inject "mce-$i"
  echo 4 > $MI/bank                             # the trigger
  printf 'mce-%d\tmce\t%s\t%d\t%s\t%s\t%s\n' "$i" "$RD" $(( off / 512 )) "$SEQ" "$G0" "$G1" >> "$OUT"
  await "$SEQ" "$RD" $(( off / 512 ))
  echo "  $i/$COUNT"
done
kill $agent 2>/dev/null; wait $agent 2>/dev/null
exit 0
