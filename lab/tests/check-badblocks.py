#!/usr/bin/env python3
"""check-badblocks.py INVENTORY.json EXPECT... — check bad-block ranges in a daxfleet inventory (--format json).
EXPECT: region:REGION:badblocks:OFF:LEN | ns:NS:badblocks:OFF:LEN | ns:NS:blockdev_badblocks:OFF:LEN |
        ns:NS:badblock_count:N | ns:NS:no-badblocks. Prints one line per expectation; exit 1 if any fails."""
import json, sys

inv = json.load(open(sys.argv[1]))
regions = {r['dev']: r for b in inv.get('buses', []) for r in b.get('regions', [])}
nss = {n['dev']: n for r in regions.values() for n in r.get('namespaces', [])}
bad = 0
for e in sys.argv[2:]:
    kind, dev, field, *rest = e.split(':')
    obj = (regions if kind == 'region' else nss).get(dev)
    if obj is None:
        ok, got = False, f'no {kind} {dev} in inventory'
    elif field == 'badblock_count':
        got = obj.get('badblock_count'); ok = got == int(rest[0])
    elif field == 'no-badblocks':
        got = obj.get('badblocks'); ok = not got
    else:
        got = [{'offset': x['offset'], 'length': x['length']} for x in obj.get(field) or []]
        ok = {'offset': int(rest[0]), 'length': int(rest[1])} in got
    print(('ok   ' if ok else 'FAIL ') + e + ('' if ok else f'  (got {json.dumps(got)})'))
    bad += not ok
print(f'{bad} of {len(sys.argv) - 2} bad-block expectation(s) failed')
sys.exit(1 if bad else 0)
