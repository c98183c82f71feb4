# lab-config: NDIMM=1 REGION_MB=1024 MEM=1G
# one-dimm-label-less — a single fresh DIMM whose label area was never initialized: the kernel shows
# one raw namespace spanning the whole region (label-less mode, available_size 0). Nothing to do.
ndctl list -RN -i
