#!/bin/bash
# lab/tests/layout-check.sh — INSIDE the guest, after a layout was applied (lab run --layout L ...):
# compares `ndctl list -BDRNMX -v` with `daxfleet inventory --format ndctl` and `daxctl list -DRM` with
# `daxfleet inventory --format daxctl` on the finished layout (results L-ndctl, L-daxctl), and
# checks that every bad-block range the kernel lists shows up in `daxfleet inventory --format json`:
# each regionN/badblocks range in the region's list, each /sys/block/pmemX/badblocks range in that
# namespace's blockdev_badblocks.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
L=${1:-layout}
check_ndctl "$L-ndctl"
check_daxctl "$L-daxctl"
EXP=()
for r in $(regions); do
  while read -r off len; do [ -n "$off" ] && EXP+=("region:$r:badblocks:$off:$len"); done < /sys/bus/nd/devices/$r/badblocks
done
for b in /sys/block/pmem*; do
  bd=$(basename "$b")
  nsd=$(ns_json | python3 -c 'import json,sys; print(" ".join(x["dev"] for x in json.load(sys.stdin) if x.get("blockdev")==sys.argv[1]))' "$bd")
  [ -n "$nsd" ] || continue
  while read -r off len; do [ -n "$off" ] && EXP+=("ns:$nsd:blockdev_badblocks:$off:$len"); done < "$b/badblocks" 2>/dev/null
done
echo "bad-block expectations from sysfs: ${EXP[*]:-none}"
if [ ${#EXP[@]} -gt 0 ]; then check_bb "$L-badblocks" "${EXP[@]}"; fi
exit 0   # check results are in results.txt; a non-zero exit means the script aborted
