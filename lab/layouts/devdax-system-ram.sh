# lab-config: NDIMM=2 REGION_MB=1024 MEM=2G
# devdax-system-ram — devdax devices in system-ram mode (kmem) in each onlining state: offline
# (--no-online), online ZONE_NORMAL (--no-movable), online ZONE_MOVABLE (default), one devdax left in
# devdax mode, and a second region with labels but no namespaces (all free space).
init_labels
R=($(regions))
mkns ${R[0]} devdax 256M ram-offline
mkns ${R[0]} devdax 256M ram-normal
mkns ${R[0]} devdax 256M ram-movable
mkns ${R[0]} devdax 128M ram-devdax -a 2M
must daxctl reconfigure-device --mode=system-ram --no-online "$(devdax_chardev ram-offline)" >/dev/null
must daxctl reconfigure-device --mode=system-ram --no-movable "$(devdax_chardev ram-normal)" >/dev/null
must daxctl reconfigure-device --mode=system-ram "$(devdax_chardev ram-movable)" >/dev/null
free -m | head -2
