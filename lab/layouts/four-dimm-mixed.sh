# lab-config: NDIMM=4 REGION_MB=512 MEM=2G
# four-dimm-mixed — 4 small DIMMs (4 regions of 512 MiB; each backing file is 512 MiB + label area so
# every region stays 16M-aligned), mixed modes, a DISABLED fsdax namespace, block-device bad blocks on an
# fsdax namespace, ext4 dax=always, and region-level poison (MCE) under a sector, a raw, a devdax and an
# fsdax namespace and in a region's free space.
init_labels
R=($(regions))
# R0: fsdax map=mem + ext4 dax=always (mounted) with a bad block; sector 512-byte LBA with a bad block
mkns ${R[0]} fsdax  256M mix-fsdax-ext4 -M mem
mkns ${R[0]} sector 128M mix-sector-512 -l 512
# R1: fsdax that gets DISABLED (reads as mode raw, holder_class pfn; only ndctl list -i shows it); devdax 2M
mkns ${R[1]} fsdax  256M mix-fsdax-disabled -M dev
mkns ${R[1]} devdax 128M mix-devdax-2m -a 2M
must ndctl disable-namespace "$(nsfield mix-fsdax-disabled dev)"
# R2: raw + devdax 4K
mkns ${R[2]} raw    128M mix-raw
mkns ${R[2]} devdax 256M mix-devdax-4k -a 4K
# R3: fsdax map=dev, unmounted, plus free space
mkns ${R[3]} fsdax  192M mix-fsdax-dev -M dev
PE=$(nsfield mix-fsdax-ext4 blockdev)
must mkfs.ext4 -q -F -b 4096 /dev/$PE
mkdir -p /mnt/ext4-dax; must mount -o dax=always /dev/$PE /mnt/ext4-dax
inject_bb "$PE" 4096 8                                    # 4 KiB at block-device byte offset 2 MiB
# region-level poison (MCE), 4 KiB each. A BTT (sector) disk has no writable badblocks file, so the sector
# namespace gets its bad block this way: R0 offset 300 MiB (sector namespace spans 256..384 MiB).
mce_poison ${R[0]} $((300 << 20))
# R2: in the raw namespace (0..128 MiB) at 64 MiB, in the devdax namespace (128..384 MiB) at 160 MiB
mce_poison ${R[2]} $((64 << 20))
mce_poison ${R[2]} $((160 << 20))
# R3: in the unmounted fsdax namespace (0..192 MiB) at 100 MiB, and in free space at 400 MiB
mce_poison ${R[3]} $((100 << 20))
mce_poison ${R[3]} $((400 << 20))
for r in "${R[@]}"; do echo "$r/badblocks: $(tr '\n' ' ' < /sys/bus/nd/devices/$r/badblocks)"; done
for b in /sys/block/pmem*/badblocks; do echo "$b: $(tr '\n' ' ' < $b)"; done
