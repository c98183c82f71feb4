// lab/bench/alert-latency-report.mjs INJECTIONS.tsv RECORDS.json [AGENT.log] — the figures of
// lab/bench/alert-latency.sh. For each injection (bench-injections.tsv from the guest), T0 is when the host's
// receiver answered "may I inject?" and T1 when the daxfleet-format webhook for that range arrived: both on the
// host's clock. Prints p50/p90/p99/max of T1 - T0 per kind (nearest-rank percentiles: with 20 samples p99 is the
// maximum), and the split:
//   detect        T0 -> the agent's detected_at (guest clock, mapped onto the host's: the guest read its clock
//                 right before and after the /inject exchange, so guest - host = midpoint - T0, give or take half
//                 that exchange's round trip, printed as "clock mapping")
//   agent->hub    detected_at -> the hub's received_at (the event's received_at in the body: journal write, the
//                 report's HTTP round trip, the ingest transaction)
//   hub->webhook  received_at -> T1 (outbox row -> dispatcher -> signed POST -> receipt)
import { readFileSync } from 'node:fs';

const [injFile, recFile, agentLog] = process.argv.slice(2);
if (!injFile || !recFile) {
  console.error('usage: alert-latency-report.mjs INJECTIONS.tsv RECORDS.json [AGENT.log]');
  process.exit(2);
}
const records = JSON.parse(readFileSync(recFile, 'utf8'));
const bySeq = new Map(records.map((r) => [r.seq, r]));
const deliveries = records.filter((r) => r.kind === 'delivery' && r.hook === 'dx' && r.event === 'badblock-new');
const injections = readFileSync(injFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
  const [tag, kind, region, offset, seq, g0, g1] = line.split('\t');
  return { tag, kind, region, offset: Number(offset), seq: Number(seq), g0: Number(g0) / 1000, g1: Number(g1) / 1000 };
});

const rows = [];
const missing = [];
let badSig = 0;
for (const inj of injections) {
  const t0 = bySeq.get(inj.seq)?.at_ms;
  const d = deliveries.find((r) => r.seq > inj.seq && r.body?.event?.range?.region === inj.region
    && r.body.event.range.region_offset === inj.offset);
  if (t0 === undefined || !d) { missing.push(inj.tag); continue; }
  if (d.sig !== 'ok') badSig++;
  const ev = d.body.event;
  const hub = Date.parse(ev.received_at);
  // guest clock - host clock, from the /inject exchange (the receiver stamped T0 between the guest's g0 and g1)
  const skew = (inj.g0 + inj.g1) / 2 - t0;
  const detected = Date.parse(ev.detected_at) - skew;
  rows.push({
    kind: inj.kind, total: d.at_ms - t0, detect: detected - t0, agentHub: hub - detected, hubHook: d.at_ms - hub,
    rtt: inj.g1 - inj.g0, by: ev.detected_by,
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (x) => (x === undefined ? '-' : `${Math.round(x)}`.padStart(6));
const line = (...c) => console.log(c.join('  '));

console.log('\ninjection -> webhook receipt (ms, one clock: the host\'s)');
line('kind                        ', '    n', '   p50', '   p90', '   p99', '   max', '   min');
const kinds = [['bd', 'blockdev write (re-read)'], ['mce', 'MCE poison (kernel notifies)']];
for (const [k, label] of kinds) {
  const t = rows.filter((r) => r.kind === k).map((r) => r.total);
  if (t.length === 0) continue;
  line(label, `${t.length}`.padStart(5), ms(pct(t, 50)), ms(pct(t, 90)), ms(pct(t, 99)), ms(Math.max(...t)), ms(Math.min(...t)));
}
console.log('\nwhere the time goes (ms: p50 / p90 / max)');
for (const [k, label] of kinds) {
  const rs = rows.filter((r) => r.kind === k);
  if (rs.length === 0) continue;
  const f = (key) => `${ms(pct(rs.map((r) => r[key]), 50))} /${ms(pct(rs.map((r) => r[key]), 90))} /${ms(Math.max(...rs.map((r) => r[key])))}`;
  console.log(`  ${label}  detect ${f('detect')}   agent->hub ${f('agentHub')}   hub->webhook ${f('hubHook')}`);
  const by = {};
  for (const r of rs) by[r.by] = (by[r.by] ?? 0) + 1;
  console.log(`  ${' '.repeat(label.length)}  detected_by: ${Object.entries(by).map(([b, n]) => `${b} ${n}`).join(', ')}`);
}
const rtts = rows.map((r) => r.rtt);
if (rtts.length) {
  console.log(`\nclock mapping (guest detected_at onto the host clock): /inject round trip p50 ${Math.round(pct(rtts, 50))} ms, ` +
    `max ${Math.round(Math.max(...rtts))} ms, so detect and agent->hub are each +-${Math.round(pct(rtts, 50) / 2)} ms (detected_at has ms resolution)`);
}
if (agentLog) {
  try {
    const n = readFileSync(agentLog, 'utf8').split('\n').filter((l) => /"level":(40|50)/.test(l)).length;
    if (n) console.log(`agent log: ${n} warning/error line(s) in ${agentLog}`);
  } catch { /* no agent log */ }
}
if (badSig) console.log(`WARNING: ${badSig} webhook(s) with a signature that did not verify`);
if (missing.length) console.log(`WARNING: no webhook for ${missing.length} injection(s): ${missing.join(' ')}`);
const all = rows.map((r) => r.total);
if (all.length) {
  const p99 = pct(all, 99);
  console.log(`\nall ${all.length}: p50 ${Math.round(pct(all, 50))} ms, p99 ${Math.round(p99)} ms — target p99 < 1000 ms: ${p99 < 1000 ? 'met' : 'NOT met'}`);
}
process.exit(missing.length || badSig ? 1 : 0);
