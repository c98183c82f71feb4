# lab/tests/guest-lib.sh — check helpers for lab test scripts (sourced INSIDE the guest, after guest/lib.sh).
# Results: one line per check in $LAB_OUT/results.txt ("PASS name" / "FAIL name: why" / "SKIP name: why");
# lab/test.sh counts them. Artifacts (JSON, diffs) go to $LAB_OUT/<check>.*
#
# LAB_CLI: daxfleet CLI to test (default $LAB_REPO/apps/api/dist/cli.js). If it does not exist, or
# LAB_COMPARE_SELF=1, ndctl and daxctl are compared against themselves (tests the harness) and the json
# checks are skipped.
RESULTS=$LAB_OUT/results.txt
CLI=${LAB_CLI:-$LAB_REPO/apps/api/dist/cli.js}
TOOLS=$LAB_DIR/tests
if [ "${LAB_COMPARE_SELF:-0}" = 1 ] || [ ! -f "$CLI" ]; then SELF=1; else SELF=0; fi
pass() { echo "PASS $1" | tee -a "$RESULTS"; }
fail() { echo "FAIL $1: $2" | tee -a "$RESULTS"; }
skip() { echo "SKIP $1: $2" | tee -a "$RESULTS"; }

# daxfleet_ndctl OUT: what the tested side prints for `ndctl list -BDRNMX -v`
daxfleet_ndctl() {
  if [ "$SELF" = 1 ]; then ndctl list -BDRNMX -v > "$1" 2>"$1.err"
  else node "$CLI" inventory --format ndctl > "$1" 2>"$1.err"; fi
}

# daxfleet_daxctl OUT: what the tested side prints for `daxctl list -DRM`
daxfleet_daxctl() {
  if [ "$SELF" = 1 ]; then daxctl list -DRM > "$1" 2>"$1.err"
  else node "$CLI" inventory --format daxctl > "$1" 2>"$1.err"; fi
}

# compare_list NAME TOOL EXPECTED ACTUAL: compare-json.py on the two outputs, one PASS/FAIL line for NAME.
# An empty output (nothing to list) is equal only to an empty output; a byte difference between outputs
# that are equal as JSON is noted in NAME.diff (not a failure: the fixture tests check the bytes).
compare_list() {
  local n=$1 tool=$2 exp=$3 act=$4 d=$LAB_OUT/$1.diff
  if python3 "$TOOLS/compare-json.py" "$exp" "$act" --names "$tool",daxfleet > "$d" 2>&1; then
    cmp -s "$exp" "$act" || echo "NOTE: equal as JSON, not byte for byte ($(wc -c < "$exp") vs $(wc -c < "$act") bytes)" >> "$d"
    pass "$n"
  else
    sed 's/^/    /' "$d" | head -40
    fail "$n" "$(tail -1 "$d")"; return 1
  fi
}

# check_ndctl NAME: compare `ndctl list -BDRNMX -v` with `daxfleet inventory --format ndctl`, field by field
check_ndctl() {
  local n=$1 o=$LAB_OUT/$1
  ndctl list -BDRNMX -v > "$o.ndctl.json" 2>"$o.ndctl.err"
  if ! daxfleet_ndctl "$o.daxfleet.json"; then
    fail "$n" "daxfleet inventory --format ndctl exited non-zero: $(head -c 300 "$o.daxfleet.json.err")"; return 1; fi
  compare_list "$n" ndctl "$o.ndctl.json" "$o.daxfleet.json"
}

# check_daxctl NAME: compare `daxctl list -DRM` with `daxfleet inventory --format daxctl`, field by field
check_daxctl() {
  local n=$1 o=$LAB_OUT/$1
  if ! daxctl list -DRM > "$o.daxctl.json" 2>"$o.daxctl.err"; then
    fail "$n" "daxctl list -DRM exited non-zero: $(head -c 300 "$o.daxctl.err")"; return 1; fi
  if ! daxfleet_daxctl "$o.daxfleet.json"; then
    fail "$n" "daxfleet inventory --format daxctl exited non-zero: $(head -c 300 "$o.daxfleet.json.err")"; return 1; fi
  compare_list "$n" daxctl "$o.daxctl.json" "$o.daxfleet.json"
}

# check_lists NAME: a checkpoint: check_ndctl NAME and check_daxctl NAME-daxctl (two results)
check_lists() {
  local rc=0
  check_ndctl "$1" || rc=1
  check_daxctl "$1-daxctl" || rc=1
  return $rc
}

# inventory_json NAME: daxfleet inventory --format json > $LAB_OUT/NAME.inventory.json (returns 1 in self mode)
inventory_json() {
  [ "$SELF" = 0 ] || return 1
  node "$CLI" inventory --format json > "$LAB_OUT/$1.inventory.json" 2>"$LAB_OUT/$1.inventory.err"
}

# check_bb NAME EXPECT...: bad-block expectations against `daxfleet inventory --format json`, each one of
#   region:REGION:badblocks:OFFSET:LEN         the region's list (region-relative sectors)
#   ns:NAMESPACE:badblocks:OFFSET:LEN          the namespace's ndctl-style list
#   ns:NAMESPACE:blockdev_badblocks:OFFSET:LEN /sys/block/pmemX/badblocks as listed
#   ns:NAMESPACE:badblock_count:N
check_bb() {
  local n=$1; shift
  if ! inventory_json "$n"; then
    if [ "$SELF" = 1 ]; then skip "$n" "no daxfleet CLI (self-compare mode)"; else
      fail "$n" "daxfleet inventory --format json failed: $(head -c 300 "$LAB_OUT/$n.inventory.err")"; fi
    return; fi
  if python3 "$TOOLS/check-badblocks.py" "$LAB_OUT/$n.inventory.json" "$@" > "$LAB_OUT/$n.bb" 2>&1; then pass "$n"
  else sed 's/^/    /' "$LAB_OUT/$n.bb"; fail "$n" "$(tail -1 "$LAB_OUT/$n.bb")"; fi
}

# sysfs helpers for computing expected offsets independently of daxfleet
ndattr() { cat "/sys/bus/nd/devices/$1/$2"; }
# ns_start NAMESPACE: byte offset of the namespace in its region
ns_start() { local r; r=$(basename "$(readlink -f /sys/bus/nd/devices/$1/..)"); echo $(( $(ndattr "$1" resource) - $(ndattr "$r" resource) )); }
# data_offset NAMESPACE: bytes from the namespace start to its first data byte (pfn/dax info block + memmap)
data_offset() {
  local h; h=$(cat "/sys/bus/nd/devices/$1/holder")     # e.g. pfn0.0, dax1.0, btt0.1 or empty
  case $h in pfn*|dax*) echo $(( $(ndattr "$h" resource) - $(ndattr "$1" resource) ));; *) echo 0;; esac
}
