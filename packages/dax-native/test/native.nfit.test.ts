/**
 * DIMM health against the kernel's own SMART emulation: the pmem lab guest (lab/lab run) with its libnvdimm
 * stack swapped for the nfit_test build of the same kernel (tools/testing/nvdimm, the harness ndctl's own
 * tests use). nfit_test's DIMMs answer the Intel SMART and SMART-threshold commands with known values, and
 * its per-DIMM `fail_cmd` makes chosen commands fail. The addon must report, DIMM for DIMM and field for
 * field, what `ndctl list -DH` prints in the same guest at the same moment.
 *
 * Runs only where the lab is set up. The first run downloads the guest kernel's headers and source with
 * `apt-get download` (about 150 MB) and builds the test modules into /var/tmp/daxfleet-nfit-test/<kernel>
 * (about 70 s on 2 cores); later runs reuse them and take about 35 s (QEMU under TCG).
 */
import { describe, expect, it } from 'vitest';
import { addonPath } from '../src/addon.js';
import {
  NFIT_TEST_MODULES, NFIT_TEST_SWAP, jsonAfter, labUnavailable, outputTail, prepareNfitTest, runInGuest,
} from './lab-guest.js';


/**
 * In the guest: unload the real libnvdimm stack, load the nfit_test build, make SMART fail on test DIMM 0
 * and SMART-threshold fail on test DIMM 1 (fail_cmd is a bitmask of Intel DSM function numbers:
 * ND_INTEL_SMART = 1, ND_INTEL_SMART_THRESHOLD = 2), then print ndctl's and the addon's view.
 */
const GUEST_SCRIPT = String.raw`
set -u
modules=$1 addon=$2
${NFIT_TEST_SWAP}
echo 0x2 > /sys/class/nfit_test_dimm/test_dimm0/fail_cmd || exit 13
echo 0x4 > /sys/class/nfit_test_dimm/test_dimm1/fail_cmd || exit 13
echo "NDCTL-JSON $(ndctl list -D -H | tr -d '\n')"
node -e "require(process.argv[1]).dimmHealth().then((r) => console.log('ADDON-JSON ' + JSON.stringify(r)))" "$addon" || exit 14
# libndctl logs at the level NDCTL_LOG names; at debug it explains the failed ioctl, and the addon appends that
NDCTL_LOG=debug node -e "require(process.argv[1]).dimmHealth().then((r) => console.log('ADDON-DEBUG-JSON ' + JSON.stringify(r)))" "$addon" || exit 15
`;

interface NdctlDimm {
  dev: string;
  health?: Record<string, unknown>;
}
interface AddonDimm extends Record<string, unknown> {
  bus: string;
  dev: string;
  supported: boolean;
  error?: string;
}

const unavailable = labUnavailable({ commands: ['apt-get', 'make'], cacheFiles: ['kernel-version'] });

describe.skipIf(unavailable !== undefined)(`dimmHealth on nfit_test's emulated SMART DIMMs${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let ndctl: NdctlDimm[];
  let addon: AddonDimm[];
  let addonDebugLog: AddonDimm[];

  it('builds nfit_test for the guest kernel and runs it in the guest', async () => {
    const prepare = prepareNfitTest();
    expect(prepare, 'preparing nfit_test').toBeUndefined();

    const run = await runInGuest({
      prefix: 'dax-native-nfit-',
      script: () => GUEST_SCRIPT,
      args: [NFIT_TEST_MODULES, addonPath()!],
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    ndctl = jsonAfter(run.output, 'NDCTL-JSON ');
    addon = jsonAfter(run.output, 'ADDON-JSON ');
    addonDebugLog = jsonAfter(run.output, 'ADDON-DEBUG-JSON ');
  }, 900_000);

  it('reports every DIMM ndctl lists, with the same health fields and values', () => {
    expect(addon.map((d) => d.dev).sort()).toEqual(ndctl.map((d) => d.dev).sort());
    for (const dimm of addon) {
      const { bus: _bus, dev, supported, error: _error, ...health } = dimm;
      const listed = ndctl.find((d) => d.dev === dev)!;
      expect({ dev, supported }).toEqual({ dev, supported: listed.health !== undefined });
      expect({ dev, health }).toEqual({ dev, health: listed.health ?? {} });
    }
  });

  it("decodes nfit_test's SMART payload (health, temperatures, spares, alarms, thresholds, shutdown count)", () => {
    // The values tools/testing/nvdimm/test/nfit.c puts in its SMART reply, as `ndctl list -DH` shows them.
    const healthy = addon.filter((d) => d.supported && d.error === undefined && 'temperature_threshold' in d);
    expect(healthy.length).toBeGreaterThan(0);
    for (const dimm of healthy) {
      expect(dimm).toMatchObject({
        health_state: 'non-critical',
        temperature_celsius: 23,
        controller_temperature_celsius: 25,
        spares_percentage: 75,
        alarm_temperature: true,
        alarm_spares: true,
        alarm_enabled_media_temperature: true,
        temperature_threshold: 40,
        alarm_enabled_spares: true,
        spares_threshold: 5,
        life_used_percentage: 5,
        shutdown_state: 'clean',
        shutdown_count: 42,
      });
    }
    expect(addon.filter((d) => !d.supported).every((d) => Object.keys(d).sort().join() === 'bus,dev,supported')).toBe(true);
  });

  it('a failing SMART command gives supported, health_state unknown and the libndctl error', () => {
    const failed = addon.filter((d) => d.error !== undefined);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toEqual({
      bus: expect.stringMatching(/^ndbus\d+$/),
      dev: expect.stringMatching(/^nmem\d+$/),
      supported: true,
      health_state: 'unknown',
      error: expect.stringMatching(/^ndctl_cmd_submit_xlat: Input\/output error( \(.+\))?$/),
    });
  });

  it("appends libndctl's last log line to the error when libndctl logs one (NDCTL_LOG=debug)", () => {
    const failed = addonDebugLog.filter((d) => d.error !== undefined);
    expect(failed).toHaveLength(1);
    // do_cmd's debug line about the failed ioctl, captured through ndctl_set_log_fn
    expect(failed[0]!.error).toMatch(/^ndctl_cmd_submit_xlat: Input\/output error \(do_cmd: bus: \d+ dimm: (?:0|0x[0-9a-f]+) cmd: .*smart.*\)$/);
    // the logging level changes nothing else
    expect(addonDebugLog.map(({ error: _e, ...rest }) => rest)).toEqual(addon.map(({ error: _e, ...rest }) => rest));
  });

  it('a failing threshold command leaves only the threshold fields out', () => {
    const noThresholds = addon.filter((d) => d.supported && d.error === undefined && !('alarm_enabled_spares' in d));
    expect(noThresholds).toHaveLength(1);
    expect(noThresholds[0]).toMatchObject({ health_state: 'non-critical', temperature_celsius: 23, shutdown_count: 42 });
    expect(noThresholds[0]).not.toHaveProperty('temperature_threshold');
  });
});
