/**
 * A real address range scrub: the agent's scrub (src/agent/scrub.ts, built into dist/) against the kernel's
 * nfit_test buses in the pmem lab guest. QEMU's emulated NFIT has no nfit/scrub, but nfit_test's two emulated
 * buses implement ARS (tools/testing/nvdimm/test/nfit.c answers ARS start/status), so their `nfit/scrub` exists
 * and a write of "1" runs a scrub that completes in a few seconds. The guest also keeps QEMU's own ACPI.NFIT bus
 * (reloaded with the nfit_test build of nfit.ko): the bus without the attribute, answered "not supported".
 *
 * Runs only where the lab is set up and nfit_test is built for the guest kernel: the dax-native nfit test
 * (packages/dax-native/test/native.nfit.test.ts) builds it into /var/tmp/daxfleet-nfit-test/<kernel>. About 45 s
 * (QEMU under TCG).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScrubBusResult } from '@daxfleet/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { NFIT_TEST_MODULES, NFIT_TEST_SWAP, jsonAfter, labUnavailable, outputTail, runInGuest } from '../../../packages/dax-native/test/lab-guest.js';
import { NO_SCRUB_REASON } from '../src/agent/scrub.js';

const SCRUB_MODULE = fileURLToPath(new URL('../dist/agent/scrub.js', import.meta.url));
const DAX_NATIVE = fileURLToPath(new URL('../../../packages/dax-native/dist/index.js', import.meta.url));

/**
 * In the guest: swap the libnvdimm stack for the nfit_test build (as the dax-native nfit test does), let the
 * scrubs the buses run at load finish, then print each bus's nfit/scrub, the agent's answer to a scrub of every
 * bus, the attributes after `ndctl wait-scrub`, and daxfleet's inventory of the buses.
 */
const GUEST_SCRIPT = String.raw`
set -u
modules=$1 scrub=$2 daxnative=$3
${NFIT_TEST_SWAP}
ndctl wait-scrub all >/dev/null 2>&1
attrs() { for b in /sys/bus/nd/devices/ndbus*; do
  printf '"%s":"%s",' "$(basename "$b")" "$(cat "$b/nfit/scrub" 2>/dev/null || echo none)"; done; }
echo "BEFORE-JSON {$(attrs | sed 's/,$//')}"
node --input-type=module -e "const { startScrub } = await import(process.argv[1]);
console.log('START-JSON ' + JSON.stringify(await startScrub('/sys')));" "$scrub" || exit 13
ndctl wait-scrub all >/dev/null || exit 14
echo "AFTER-JSON {$(attrs | sed 's/,$//')}"
node --input-type=module -e "const { scanInventory } = await import(process.argv[1]);
const inv = await scanInventory({ sysfsRoot: '/sys', health: false });
console.log('INVENTORY-JSON ' + JSON.stringify(inv.buses.map((b) => ({ dev: b.dev, provider: b.provider, scrub_state: b.scrub_state, scrub_count: b.scrub_count }))));" "$daxnative" || exit 15
`;

const unavailable = labUnavailable({ files: [SCRUB_MODULE, DAX_NATIVE, join(NFIT_TEST_MODULES, '.complete')] });

describe.skipIf(unavailable !== undefined)(`address range scrub on nfit_test's buses${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let before: Record<string, string>;
  let started: ScrubBusResult[];
  let after: Record<string, string>;
  let inventory: Array<{ dev: string; provider: string; scrub_state?: string; scrub_count?: number }>;

  beforeAll(async () => {
    const run = await runInGuest({
      prefix: 'daxfleet-scrub-',
      script: () => GUEST_SCRIPT,
      args: [NFIT_TEST_MODULES, SCRUB_MODULE, DAX_NATIVE],
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    before = jsonAfter(run.output, 'BEFORE-JSON ');
    started = jsonAfter(run.output, 'START-JSON ');
    after = jsonAfter(run.output, 'AFTER-JSON ');
    inventory = jsonAfter(run.output, 'INVENTORY-JSON ');
  }, 900_000);

  it('starts a scrub on every bus with nfit/scrub: the kernel shows it running as soon as the write returns', () => {
    const scrubbing = Object.entries(before).filter(([, text]) => text !== 'none');
    expect(scrubbing.length).toBeGreaterThanOrEqual(2);
    for (const [bus, text] of scrubbing) {
      expect(text, `${bus} idle before the start`).toMatch(/^\d+$/);
      expect(started.find((r) => r.bus === bus)).toEqual({
        bus, started: true, supported: true, scrub_count: Number(text), scrub_state: 'active',
      });
    }
  });

  it('answers the bus without nfit/scrub (QEMU\'s ACPI.NFIT) as not supported, and leaves it alone', () => {
    const without = Object.entries(before).filter(([, text]) => text === 'none').map(([bus]) => bus);
    expect(without.length).toBeGreaterThanOrEqual(1);
    for (const bus of without) {
      expect(started.find((r) => r.bus === bus)).toEqual({ bus, started: false, supported: false, reason: NO_SCRUB_REASON });
    }
    expect(started.map((r) => r.bus).sort()).toEqual(Object.keys(before).sort());
  });

  it('the scrub completes: count one up, idle, in nfit/scrub and in daxfleet\'s inventory alike', () => {
    for (const r of started.filter((s) => s.started)) {
      expect(after[r.bus], `${r.bus} after ndctl wait-scrub`).toBe(String(r.scrub_count! + 1));
      expect(inventory.find((b) => b.dev === r.bus)).toEqual(expect.objectContaining({
        dev: r.bus, scrub_state: 'idle', scrub_count: r.scrub_count! + 1,
      }));
    }
    for (const r of started.filter((s) => !s.supported)) {
      expect(inventory.find((b) => b.dev === r.bus)).not.toHaveProperty('scrub_count');
    }
  });
});
