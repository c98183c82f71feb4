# lab-config: NDIMM=2 REGION_MB=1024 MEM=2G
# two-dimm-all-modes — the namespace-rich "benchmark target" host: every namespace mode, xfs and ext4
# DAX mounts, a block-device bad block (raw), region poison (devdax), a devdax device onlined as system RAM.
# Sourced by lab/guest/record.sh (or lab/guest/apply-layout.sh) inside the guest; uses lab/guest/lib.sh.
init_labels
R=($(regions))                               # region numbers need not follow DIMM order: take them sorted
# ${R[0]}: fsdax map=dev (xfs needs >= 300 MB), fsdax map=mem, sector 4K, raw
mkns ${R[0]} fsdax  384M lab-fsdax-dev -M dev
mkns ${R[0]} fsdax  128M lab-fsdax-mem -M mem
mkns ${R[0]} sector 128M lab-sector    -l 4096
mkns ${R[0]} raw    64M  lab-raw
# ${R[1]}: devdax 2M align, devdax 4K align, devdax handed to kmem as online system RAM
mkns ${R[1]} devdax 256M lab-devdax-2m -a 2M
mkns ${R[1]} devdax 128M lab-devdax-4k -a 4K
mkns ${R[1]} devdax 384M lab-devdax-kmem
must daxctl reconfigure-device --mode=system-ram "$(devdax_chardev lab-devdax-kmem)" >/dev/null
# xfs dax=always on the map=dev fsdax namespace, ext4 (4K blocks: DAX needs block size == page size) dax=inode
PX=$(nsfield lab-fsdax-dev blockdev); PE=$(nsfield lab-fsdax-mem blockdev)
mkdir -p /mnt/fsdax-dev /mnt/fsdax-mem
must mkfs.xfs -q -f /dev/$PX
must mount -o dax=always /dev/$PX /mnt/fsdax-dev
must mkfs.ext4 -q -F -b 4096 /dev/$PE
must mount -o dax=inode /dev/$PE /mnt/fsdax-mem
# 8 bad sectors at block-device sector 1000 of the raw namespace
inject_bb "$(nsfield lab-raw blockdev)" 1000 8
# region-level poison (MCE) inside lab-devdax-4k (${R[1]} offset 256..384 MiB): 4 KiB at region offset 320 MiB
mce_poison ${R[1]} $((320 << 20))
