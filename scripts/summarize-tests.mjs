// Adds up the test counts of every stage of scripts/test.sh (vitest JSON, the lab's "N passed, M failed" line,
// Playwright JSON) and prints one closing line in the plain form CI reads: "tests: N passed, M failed, K skipped".
// Exits 1 when a stage left no result (it crashed before reporting) or any test failed, and under CI=true also when a
// test was skipped: the lab tests skip themselves where QEMU or the lab cache is missing, and CI must not pass
// without them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: summarize-tests.mjs RESULTS_DIR'); process.exit(2); }
const files = readdirSync(dir);
let passed = 0, failed = 0, skipped = 0;
const rows = [];
const missing = [];

const read = (f) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return undefined; } };

for (const f of files.filter((x) => x.startsWith('vitest-')).sort()) {
  const text = read(f);
  if (!text) { missing.push(f); continue; }
  const r = JSON.parse(text);
  const p = r.numPassedTests ?? 0, fl = r.numFailedTests ?? 0, s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  passed += p; failed += fl; skipped += s;
  rows.push([f.replace(/^vitest-|\.json$/g, ''), p, fl, s]);
}

const lab = read('lab.log');
if (lab !== undefined) {
  const m = [...lab.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
  if (m) {
    const p = Number(m[1]), fl = Number(m[2]), s = Number(m[3] ?? 0);
    passed += p; failed += fl; skipped += s; rows.push(['lab', p, fl, s]);
  } else missing.push('lab (no "N passed, M failed" line)');
}

const pw = read('playwright.json');
if (pw !== undefined) {
  const st = JSON.parse(pw).stats ?? {};
  const p = st.expected ?? 0, fl = (st.unexpected ?? 0) + (st.flaky ?? 0), s = st.skipped ?? 0;
  passed += p; failed += fl; skipped += s; rows.push(['e2e', p, fl, s]);
} else missing.push('playwright.json');

for (const [name, p, fl, s] of rows) console.log(`  ${name.padEnd(12)} ${p} passed, ${fl} failed, ${s} skipped`);
if (missing.length) console.log(`  no result from: ${missing.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
const skipFails = process.env.CI === 'true' && skipped > 0;
if (skipFails) {
  console.log(`CI=true: ${skipped} test(s) skipped in ${rows.filter((r) => r[3] > 0).map((r) => r[0]).join(', ')}; ` +
    'every test must run in CI (a skipped lab test means QEMU or the lab setup is missing: see the stage log)');
}
process.exit(failed > 0 || missing.length > 0 || skipFails ? 1 : 0);
