#!/usr/bin/env python3
"""lab/tests/media-webhook-check.py SPEC RECORDS.json — the checks of lab/tests/media-webhook.sh on what the
host's webhook receiver recorded (lab/tools/webhook-receiver.mjs GET /records). Prints "PASS name" / "FAIL name:
why" lines. Runs in the guest (or anywhere: it only reads the two files).

SPEC lines (written by media-webhook.sh from the injection parameters and sysfs):
  range NAME region=.. region_offset=.. length=.. source=.. [namespace=.. namespace_offset=.. blockdev=..
        blockdev_offset=.. chardev=.. chardev_offset_bytes=..]
  since NAME SEQ         the receiver's sequence number just before injection NAME (or "clear")

Subscriptions: dx (daxfleet JSON), am (Alertmanager webhook v4), ce (CloudEvents 1.0 structured).
"""
import json
import sys

HOOKS = {"dx": "daxfleet", "am": "alertmanager", "ce": "cloudevents"}
INTS = {"region_offset", "length", "namespace_offset", "blockdev_offset", "chardev_offset_bytes"}


def load_spec(path):
    ranges, since = {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "range":
                kv = dict(x.split("=", 1) for x in w[2:])
                ranges[w[1]] = {k: int(v) if k in INTS else v for k, v in kv.items()}
            elif w[0] == "since":
                since[w[1]] = int(w[2])
    return ranges, since


def event_of(rec):
    """The MediaEvent inside a delivery body, whatever the format (Alertmanager: None)."""
    b = rec.get("body")
    if not isinstance(b, dict):
        return None
    if rec["hook"] == "dx":
        return b.get("event")
    if rec["hook"] == "ce":
        return (b.get("data") or {}).get("event")
    return None


def alert_of(rec):
    b = rec.get("body")
    if isinstance(b, dict) and isinstance(b.get("alerts"), list) and len(b["alerts"]) == 1:
        return b["alerts"][0]
    return None


def about(rec, r):
    """Is this delivery about range r (its region and region-relative offset)?"""
    if rec["hook"] == "am":
        a = alert_of(rec)
        labels = (a or {}).get("labels") or {}
        return labels.get("region") == r["region"] and labels.get("region_offset") == str(r["region_offset"])
    e = event_of(rec) or {}
    rg = e.get("range") or {}
    return rg.get("region") == r["region"] and rg.get("region_offset") == r["region_offset"]


def range_diffs(got, want):
    """Differences between a BadRange and the expectation (dimm/dpa: the single DIMM under the range)."""
    want = dict(want)
    d = []
    if "dimm" in want:
        w = [{"dimm": want.pop("dimm"), "dpa": want.pop("dpa")}]
        if got.get("dimms") != w:
            d.append(f"dimms: got {got.get('dimms')!r}, want {w!r}")
    return d + [f"{k}: got {got.get(k)!r}, want {v!r}" for k, v in want.items() if got.get(k) != v]


class Checks:
    def __init__(self):
        self.failed = 0

    def result(self, name, problems):
        if problems:
            self.failed += 1
            print(f"FAIL {name}: " + "; ".join(problems[:6]) + (f" (+{len(problems) - 6} more)" if len(problems) > 6 else ""))
        else:
            print(f"PASS {name}")


def check_delivery(rec, r, etype):
    """Problems with one delivery of event type etype about range r."""
    p = []
    if rec.get("sig") != "ok":
        p.append(f"{rec['hook']} delivery {rec.get('delivery')}: signature {rec.get('sig')} ({rec.get('sig_error', '')})")
    if rec.get("event") != etype:
        p.append(f"x-daxfleet-event {rec.get('event')!r}, want {etype!r}")
    if not rec.get("delivery"):
        p.append("no x-daxfleet-delivery header")
    b = rec.get("body")
    h = rec["hook"]
    if h == "dx":
        if not isinstance(b, dict) or b.get("version") != "daxfleet.webhook.v1":
            p.append(f"dx body version {(b or {}).get('version') if isinstance(b, dict) else b!r}")
        elif b.get("delivery_id") != rec.get("delivery"):
            p.append(f"dx body delivery_id {b.get('delivery_id')} != header {rec.get('delivery')}")
    if h == "ce" and isinstance(b, dict):
        if b.get("specversion") != "1.0" or b.get("type") != f"io.daxfleet.{etype}":
            p.append(f"ce specversion/type {b.get('specversion')!r} {b.get('type')!r}")
        if not str(rec.get("content_type", "")).startswith("application/cloudevents+json"):
            p.append(f"ce content-type {rec.get('content_type')!r}")
    if h in ("dx", "ce"):
        e = event_of(rec)
        if not e:
            p.append(f"{h}: no event in the body")
        else:
            if e.get("type") != etype:
                p.append(f"{h} event type {e.get('type')!r}")
            p += [f"{h} range {d}" for d in range_diffs(e.get("range") or {}, r)]
    if h == "am":
        a = alert_of(rec)
        if not a:
            p.append("am: not exactly one alert in the body")
        else:
            want = "firing" if etype == "badblock-new" else "resolved"
            if a.get("status") != want or (isinstance(b, dict) and b.get("status") != want):
                p.append(f"am status {a.get('status')!r} (message {b.get('status')!r}), want {want!r}")
            if isinstance(b, dict) and b.get("version") != "4":
                p.append(f"am version {b.get('version')!r}")
            # labels: the alert's identity only (the same when it fires and when it resolves); where it lies
            # beyond the range (namespace, block device, DIMMs) is in the annotations
            labels = a.get("labels") or {}
            annotations = a.get("annotations") or {}
            for k in ("region", "region_offset", "length"):
                if k in r and labels.get(k) != str(r[k]):
                    p.append(f"am label {k}={labels.get(k)!r}, want {str(r[k])!r}")
            for k in ("namespace", "blockdev"):
                if k in r and annotations.get(k) != str(r[k]):
                    p.append(f"am annotation {k}={annotations.get(k)!r}, want {str(r[k])!r}")
                if k in labels:
                    p.append(f"am label {k} present: labels must not change between firing and resolved")
            if "dimm" in r and annotations.get("dimms") != r["dimm"]:
                p.append(f"am annotation dimms={annotations.get('dimms')!r}, want {r['dimm']!r}")
            if not a.get("fingerprint"):
                p.append("am alert without fingerprint")
    return p


def main():
    if len(sys.argv) != 3:
        print("usage: media-webhook-check.py SPEC RECORDS.json", file=sys.stderr)
        return 2
    ranges, since = load_spec(sys.argv[1])
    with open(sys.argv[2]) as f:
        records = json.load(f)
    deliveries = [x for x in records if x.get("kind") == "delivery"]
    c = Checks()

    def find(name, hook, etype, after):
        r = ranges[name]
        return [x for x in deliveries if x["seq"] > after and x["hook"] == hook and x.get("event") == etype and about(x, r)]

    # every delivery the receiver got is correctly signed (also the ones for the agent's first scan, if any)
    bad = [f"{x['hook']} {x.get('event')} {x.get('delivery')}: {x.get('sig')} {x.get('sig_error', '')}" for x in deliveries if x.get("sig") != "ok"]
    c.result("mw-signatures", bad if deliveries else ["no deliveries at all"])

    new_fp = {}
    for name, label in (("a", "blockdev"), ("b", "poison"), ("c", "marker")):
        if name not in ranges:
            c.result(f"mw-{label}-new", [f"injection {name} did not happen (see the output above)"])
            continue
        p, ids = [], {}
        for hook in HOOKS:
            got = find(name, hook, "badblock-new", since[name])
            if not got:
                p.append(f"{hook} ({HOOKS[hook]}): no badblock-new for {ranges[name]['region']}+{ranges[name]['region_offset']}")
                continue
            p += check_delivery(got[0], ranges[name], "badblock-new")
            if hook == "am" and alert_of(got[0]):
                new_fp[name] = alert_of(got[0]).get("fingerprint")
                ids[hook] = (alert_of(got[0]).get("annotations") or {}).get("event_id")
            else:
                ids[hook] = (event_of(got[0]) or {}).get("id")
        if len(set(ids.values())) > 1:
            p.append(f"the formats carry different event ids: {ids}")
        c.result(f"mw-{label}-new", p)

    # clearing the written range: badblock-cleared in each format, Alertmanager resolves the same fingerprint
    if "a" in ranges and "clear" in since:
        p = []
        for hook in HOOKS:
            got = find("a", hook, "badblock-cleared", since["clear"])
            if not got:
                p.append(f"{hook} ({HOOKS[hook]}): no badblock-cleared for range a")
                continue
            p += check_delivery(got[0], ranges["a"], "badblock-cleared")
            if hook == "am":
                fp = (alert_of(got[0]) or {}).get("fingerprint")
                if fp != new_fp.get("a"):
                    p.append(f"am resolved fingerprint {fp!r} != firing fingerprint {new_fp.get('a')!r}")
        c.result("mw-blockdev-cleared", p)

    # region poison cannot be cleared in the lab: no badblock-cleared for it, up to the marker's alerts
    if "b" in ranges and "c" in ranges and "clear" in since:
        marker = [x["seq"] for h in HOOKS for x in find("c", h, "badblock-new", since["c"])]
        if not marker:
            c.result("mw-poison-stays", ["no marker alert (c) to bound the check"])
        else:
            cleared = [x for h in HOOKS for x in find("b", h, "badblock-cleared", since["b"]) if x["seq"] <= max(marker)]
            c.result("mw-poison-stays", [f"{x['hook']}: badblock-cleared for region poison that the kernel still lists (delivery {x.get('delivery')})" for x in cleared])
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
