/**
 * Guest driver of recovery.lab.test.ts with the libnvdimm stack swapped for nfit_test (the guest script loads it
 * first). nfit_test's bus nfit_test.0 emulates ARS, error injection and the clear-error command, so clearing is
 * real here: a raw namespace and a devdax namespace get an error each through `ndctl inject-error` (the platform's
 * error-injection command) and a scrub (`ndctl start-scrub` / `wait-scrub`) that puts it into regionN/badblocks.
 * Then the agent's recovery code runs scrub-recheck (a real ARS), again after the raw error was un-injected, and
 * clear-errors on both (on the devdax first while a process holds the dax device open: refused); a last scrub
 * shows whether the platform still reports anything. The bad-block lists, the bus's scrub count and the injection
 * status are read here independently of the agent. Prints one RECOVERY-NFIT-RESULT line of JSON.
 */
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { badblocksAt, makeExecutor, phases, planWhileOpen, sh } from './recovery.lab.guest-common.mjs';

const MARKER = 'RECOVERY-NFIT-RESULT ';
const BUS = 'nfit_test.0';
/** namespace-relative 512 B block of each injected error, and its length */
const INJECT_BLOCK = 1024;
const INJECT_COUNT = 8;

const busDir = readdirSync('/sys/bus/nd/devices').filter((d) => d.startsWith('ndbus'))
  .map((d) => `/sys/bus/nd/devices/${d}`).find((d) => readFileSync(`${d}/provider`, 'utf8').trim() === BUS);
const scrubText = () => readFileSync(`${busDir}/nfit/scrub`, 'utf8').trim();
const regionBadblocks = (region) => badblocksAt(`/sys/bus/nd/devices/${region}/badblocks`);
const regionOf = (ns) => realpathSync(`/sys/bus/nd/devices/${ns}`).split('/').at(-2);

const { timings, mark } = phases();
sh('ndctl', 'wait-scrub', BUS);
sh('ndctl', 'disable-region', '-b', BUS, 'all');
sh('ndctl', 'init-labels', '-f', '-b', BUS, 'all');
sh('ndctl', 'enable-region', '-b', BUS, 'all');
// two regions on the bus: the larger for device DAX (the pfn info block and the 2 MiB alignment take room)
const regions = JSON.parse(sh('ndctl', 'list', '-R', '-b', BUS)).sort((a, b) => b.size - a.size);
const daxNs = JSON.parse(sh('ndctl', 'create-namespace', '-b', BUS, '-r', regions[0].dev, '-m', 'devdax', '-a', '4K'));
const rawNs = JSON.parse(sh('ndctl', 'create-namespace', '-b', BUS, '-r', regions[1].dev, '-m', 'raw'));
for (const ns of [rawNs, daxNs]) sh('ndctl', 'inject-error', `--block=${INJECT_BLOCK}`, `--count=${INJECT_COUNT}`, ns.dev);
sh('ndctl', 'start-scrub', BUS);
sh('ndctl', 'wait-scrub', BUS);

mark('setup: labels, namespaces, inject-error, scrub');
const out = { timings, bus: busDir.split('/').pop(), raw: { namespace: rawNs.dev, blockdev: rawNs.blockdev }, dax: { namespace: daxNs.dev, chardev: daxNs.daxregion?.devices?.[0]?.chardev } };
for (const side of [out.raw, out.dax]) {
  side.region = regionOf(side.namespace);
  side.regionBadblocksBefore = regionBadblocks(side.region);
  const [first] = side.regionBadblocksBefore;
  // the range as the region lists it: the request names it by this identity
  side.range = first && { region: side.region, region_offset: first.offset, length: first.length };
}
out.raw.blockdevBadblocksBefore = badblocksAt(`/sys/block/${rawNs.blockdev}/badblocks`);

const { plan, execute, close } = makeExecutor();

// --- scrub-recheck: a real ARS over the bus; the injected error is still there afterwards
{
  const req = { action: 'scrub-recheck', range: out.raw.range };
  const scrubBefore = scrubText();
  const reviewed = await plan(req);
  const run = await execute(req, reviewed);
  mark('scrub-recheck');
  out.scrub = { plan: reviewed, run, scrubBefore, scrubAfter: scrubText(), regionBadblocksAfter: regionBadblocks(out.raw.region) };
}

// --- scrub-recheck after the platform forgot the error (un-injected) without a clear: what a scrub can tell
{
  sh('ndctl', 'inject-error', '--uninject', `--block=${INJECT_BLOCK}`, `--count=${INJECT_COUNT}`, rawNs.dev);
  const status = sh('ndctl', 'inject-error', '--status', rawNs.dev);
  const req = { action: 'scrub-recheck', range: out.raw.range };
  const reviewed = await plan(req);
  const run = await execute(req, reviewed);
  out.scrubUninjected = { injectStatus: status, plan: reviewed, run, regionBadblocksAfter: regionBadblocks(out.raw.region) };
  mark('scrub-recheck after un-inject');
}

// --- clear-errors on the raw namespace: zeros written through the pmem driver, which sends clear-error
{
  const req = { action: 'clear-errors', range: out.raw.range };
  const reviewed = await plan(req);
  const run = await execute(req, reviewed);
  Object.assign(out.raw, {
    plan: reviewed, run,
    regionBadblocksAfter: regionBadblocks(out.raw.region),
    blockdevBadblocksAfter: badblocksAt(`/sys/block/${rawNs.blockdev}/badblocks`),
  });
  mark('raw clear-errors');
}

// --- clear-errors on the devdax namespace: the bus's clear-error command; first refused while a process has the
// dax device open
{
  const req = { action: 'clear-errors', range: out.dax.range };
  const { pid, held } = await planWhileOpen(plan, req, `/dev/${out.dax.chardev}`);
  out.dax.held = { pid, plan: held };
  const reviewed = await plan(req);
  const run = await execute(req, reviewed);
  mark('devdax open refusal and clear-errors');
  Object.assign(out.dax, { plan: reviewed, run, regionBadblocksAfter: regionBadblocks(out.dax.region) });
}

// --- a fresh scrub after the clears: does the platform report the errors again?
sh('ndctl', 'start-scrub', BUS);
sh('ndctl', 'wait-scrub', BUS);
mark('rescrub');
out.rescrub = { raw: regionBadblocks(out.raw.region), dax: regionBadblocks(out.dax.region) };

await close();
console.log(MARKER + JSON.stringify(out));
