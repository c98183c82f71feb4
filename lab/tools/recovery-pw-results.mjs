// node lab/tools/recovery-pw-results.mjs REPORT.json EXIT_CODE SECONDS [PREFIX] — turns the Playwright JSON report of the
// recovery walk (e2e/playwright.lab.config.ts writes it) into the lab's result lines: "PASS rw-ui-<test>" or
// "FAIL rw-ui-<test>: <first line of the error>", one per test, plus "FAIL rw-ui: ..." when Playwright failed
// without reporting a failed test (no report, a global error, the timeout killed it). PREFIX (default rw-ui) names
// another walk's lines (dax-walk: dw-ui).
import { readFileSync } from 'node:fs';

const [reportPath, exitCode = '?', seconds = '?', prefix = 'rw-ui'] = process.argv.slice(2);
const slug = (title) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
const firstLine = (text) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 300) ?? '';

let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (err) {
  console.log(`FAIL ${prefix}: Playwright exited ${exitCode} after ${seconds} s without a report (${err.code ?? err.message}); see playwright.log`);
  process.exit(0);
}

const lines = [];
function walk(suite) {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      const last = t.results?.at(-1);
      const name = `${prefix}-${slug(spec.title)}`;
      if (last?.status === 'passed') lines.push(`PASS ${name}`);
      else if (last?.status === 'skipped' || t.status === 'skipped') lines.push(`SKIP ${name}: skipped`);
      else lines.push(`FAIL ${name}: ${last?.status ?? 'not run'}: ${firstLine(last?.error?.message ?? last?.errors?.[0]?.message)}`);
    }
  }
  for (const child of suite.suites ?? []) walk(child);
}
for (const suite of report.suites ?? []) walk(suite);
for (const error of report.errors ?? []) lines.push(`FAIL ${prefix}: ${firstLine(error.message)}`);
if (lines.length === 0) lines.push(`FAIL ${prefix}: Playwright exited ${exitCode} after ${seconds} s and ran no test`);
else if (exitCode !== '0' && !lines.some((l) => l.startsWith('FAIL'))) lines.push(`FAIL ${prefix}: Playwright exited ${exitCode} after ${seconds} s`);
console.log(lines.join('\n'));
console.log(`NOTE playwright took ${seconds} s, exit ${exitCode}`);
