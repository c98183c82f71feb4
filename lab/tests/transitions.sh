#!/bin/bash
# lab/tests/transitions.sh — INSIDE the guest (3 fresh DIMMs x 512 MiB), via lab/test.sh:
# walks namespace transitions and compares `ndctl list -BDRNMX -v` with `daxfleet inventory --format ndctl`
# and `daxctl list -DRM` with `daxfleet inventory --format daxctl` at checkpoints (check_lists: two results
# NAME and NAME-daxctl; every step with LAB_TEST_FULL=1: each CLI run costs seconds under TCG); after bad-block
# injections checks the offsets `daxfleet inventory --format json` reports against values computed here
# from the injection parameters and sysfs.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
[ "$SELF" = 1 ] && echo "NOTE: comparing ndctl and daxctl with themselves (no daxfleet CLI at $CLI, or LAB_COMPARE_SELF=1)"
# fine-grained checkpoints only with LAB_TEST_FULL=1
check_step() { [ "${LAB_TEST_FULL:-0}" = 1 ] && check_lists "$@"; return 0; }
R=($(regions)); R0=${R[0]}; R1=${R[1]}; R2=${R[2]}
ns() { nsfield "$1" dev; }

step "label-less DIMMs: one raw namespace per region"
check_lists t01-label-less

step "labels initialized, no namespaces"
init_labels
check_step t02-empty-labels

step "$R0: raw, sector 4K, fsdax map=dev, fsdax map=mem; $R2: raw"
mkns $R0 raw    64M  t-raw
check_step t03-raw
mkns $R0 sector 64M  t-sector -l 4096
check_step t04-sector
mkns $R0 fsdax  128M t-fsdax-dev -M dev
mkns $R0 fsdax  64M  t-fsdax-mem -M mem
mkns $R2 raw    64M  t-raw2
check_lists t05-raw-sector-fsdax

step "$R1: devdax 2M and 4K align, a devdax handed to kmem (system-ram, online)"
mkns $R1 devdax 128M t-devdax-2m -a 2M
mkns $R1 devdax 64M  t-devdax-4k -a 4K
check_step t06-devdax
mkns $R1 devdax 256M t-kmem
must daxctl reconfigure-device --mode=system-ram "$(devdax_chardev t-kmem)" >/dev/null
check_lists t07-devdax-system-ram

step "bad blocks: /sys/block writes (raw, raw2, fsdax) and region poison via MCE (fsdax, devdax)"
RAW=$(nsfield t-raw blockdev); RAW2=$(nsfield t-raw2 blockdev); FSD=$(nsfield t-fsdax-dev blockdev)
inject_bb "$RAW" 1000 8
inject_bb "$RAW2" 1000 8
inject_bb "$FSD" 2048 8
check_step t08-blockdev-badblocks
FNS=$(ns t-fsdax-dev); DNS=$(ns t-devdax-2m)
# 4 KiB at 32 MiB (sector 65536) into each namespace's data area
FOFF=$(( $(ns_start $FNS) + $(data_offset $FNS) + (32 << 20) ))
DOFF=$(( $(ns_start $DNS) + $(data_offset $DNS) + (32 << 20) ))
echo "$FNS: start $(ns_start $FNS) data_offset $(data_offset $FNS); $DNS: start $(ns_start $DNS) data_offset $(data_offset $DNS)"
mce_poison $R0 $FOFF
mce_poison $R1 $DOFF
check_lists t10-badblocks
# expected (512-byte sectors): region lists region-relative; fsdax/devdax namespace lists relative to the
# first data byte; blockdev_badblocks exactly as written (+ the poison, data-relative, for fsdax); raw in a
# region with poison: the region's whole list; raw in a region without: its block device's list
check_bb t11-badblock-offsets \
  "region:$R0:badblocks:$((FOFF / 512)):8" "region:$R1:badblocks:$((DOFF / 512)):8" \
  "ns:$FNS:badblocks:65536:8" "ns:$DNS:badblocks:65536:8" \
  "ns:$FNS:blockdev_badblocks:2048:8" "ns:$FNS:blockdev_badblocks:65536:8" \
  "ns:$(ns t-raw):blockdev_badblocks:1000:8" "ns:$(ns t-raw):badblocks:$((FOFF / 512)):8" \
  "ns:$(ns t-raw2):blockdev_badblocks:1000:8" "ns:$(ns t-raw2):badblocks:1000:8" \
  "ns:$(ns t-fsdax-mem):no-badblocks"
# the kernel agrees with that arithmetic for the fsdax block device
grep -q "^65536 8$" /sys/block/$FSD/badblocks && pass t12-kernel-blockdev-offset \
  || fail t12-kernel-blockdev-offset "/sys/block/$FSD/badblocks: $(tr '\n' ' ' < /sys/block/$FSD/badblocks)"

step "disable an fsdax namespace (ndctl list without -i leaves it out), system-ram back to devdax, destroy two"
must ndctl disable-namespace $(ns t-fsdax-mem)
check_step t13-disabled
KD=$(devdax_chardev t-kmem)
must daxctl offline-memory "$KD"
must daxctl reconfigure-device --mode=devdax "$KD" >/dev/null
check_step t14-kmem-to-devdax
must ndctl destroy-namespace -f $(ns t-sector)
must ndctl destroy-namespace -f $(ns t-devdax-4k)
check_lists t15-disabled-devdax-destroyed

step "destroy everything"
must ndctl destroy-namespace -f all
check_lists t16-all-destroyed
exit 0   # check results are in results.txt; a non-zero exit means the script aborted
