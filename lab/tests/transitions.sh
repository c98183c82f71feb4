#!/bin/bash
# lab/tests/transitions.sh — INSIDE the guest (2 fresh DIMMs x 1 GiB), via lab/test.sh:
# walks namespace transitions and, after each step, compares `ndctl list -BDRNMX -v` with
# `daxfleet inventory --format ndctl`; after bad-block injections checks the offsets that
# `daxfleet inventory --format json` reports against values computed here from sysfs.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
[ "$SELF" = 1 ] && echo "NOTE: comparing ndctl with itself (no daxfleet CLI at $CLI, or LAB_COMPARE_SELF=1)"
set -o pipefail
R=($(regions)); R0=${R[0]}; R1=${R[1]}
ns() { nsfield "$1" dev; }

step "label-less DIMMs: one raw namespace per region"
check_ndctl t01-label-less

step "labels initialized, no namespaces"
init_labels
check_ndctl t02-empty-labels

step "create raw, sector, fsdax (map=dev, map=mem)"
mkns $R0 raw    64M  t-raw
check_ndctl t03-raw
mkns $R0 sector 64M  t-sector -l 4096
check_ndctl t04-sector
mkns $R0 fsdax  128M t-fsdax-dev -M dev
mkns $R0 fsdax  64M  t-fsdax-mem -M mem
check_ndctl t05-fsdax

step "create devdax (2M, 4K align) and a devdax handed to kmem (system-ram)"
mkns $R1 devdax 128M t-devdax-2m -a 2M
mkns $R1 devdax 64M  t-devdax-4k -a 4K
check_ndctl t06-devdax
mkns $R1 devdax 256M t-kmem
must daxctl reconfigure-device --mode=system-ram "$(devdax_chardev t-kmem)" >/dev/null
check_ndctl t07-system-ram

step "block-device bad blocks: raw sector 1000+8, fsdax sector 2048+8"
RAW=$(nsfield t-raw blockdev); FSD=$(nsfield t-fsdax-dev blockdev)
inject_bb "$RAW" 1000 8
inject_bb "$FSD" 2048 8
check_ndctl t08-blockdev-badblocks
# raw: with the region's list empty, ndctl (and daxfleet) list the block device's own list
check_bb t09-blockdev-badblock-offsets \
  "ns:$(ns t-raw):blockdev_badblocks:1000:8" "ns:$(ns t-raw):badblocks:1000:8" \
  "ns:$(ns t-fsdax-dev):blockdev_badblocks:2048:8"

step "region poison (MCE): inside t-fsdax-dev's data, inside t-devdax-2m"
FNS=$(ns t-fsdax-dev); DNS=$(ns t-devdax-2m)
# 4 KiB at 32 MiB into each namespace's data area
FOFF=$(( $(ns_start $FNS) + $(data_offset $FNS) + (32 << 20) ))
DOFF=$(( $(ns_start $DNS) + $(data_offset $DNS) + (32 << 20) ))
echo "$FNS: start $(ns_start $FNS) data_offset $(data_offset $FNS); $DNS: start $(ns_start $DNS) data_offset $(data_offset $DNS)"
mce_poison $R0 $FOFF
mce_poison $R1 $DOFF
cat /sys/block/$FSD/badblocks
check_ndctl t10-region-poison
# expected: region-relative in the region's list; namespace lists relative to the first data byte
# (32 MiB = sector 65536); the fsdax block device's list is data-relative too; raw: the region's list
check_bb t11-region-poison-offsets \
  "region:$R0:badblocks:$((FOFF / 512)):8" "region:$R1:badblocks:$((DOFF / 512)):8" \
  "ns:$FNS:badblocks:65536:8" "ns:$DNS:badblocks:65536:8" "ns:$FNS:blockdev_badblocks:65536:8" \
  "ns:$(ns t-raw):badblocks:$((FOFF / 512)):8" "ns:$(ns t-fsdax-mem):no-badblocks"
# and the kernel agrees with our arithmetic for the fsdax block device
grep -q "^65536 8$" /sys/block/$FSD/badblocks && pass t12-kernel-blockdev-offset \
  || fail t12-kernel-blockdev-offset "/sys/block/$FSD/badblocks: $(tr '\n' ' ' < /sys/block/$FSD/badblocks)"

step "disable an fsdax namespace (ndctl list without -i leaves it out)"
must ndctl disable-namespace $(ns t-fsdax-mem)
check_ndctl t13-disabled

step "system-ram back to devdax, destroy sector and devdax-4k"
KD=$(devdax_chardev t-kmem)
must daxctl offline-memory "$KD"
must daxctl reconfigure-device --mode=devdax "$KD" >/dev/null
check_ndctl t14-kmem-to-devdax
must ndctl destroy-namespace -f $(ns t-sector)
must ndctl destroy-namespace -f $(ns t-devdax-4k)
check_ndctl t15-destroyed

step "destroy everything"
must ndctl destroy-namespace -f all
check_ndctl t16-all-destroyed
exit 0   # check results are in results.txt; a non-zero exit means the script aborted
