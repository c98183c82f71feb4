/**
 * Vitest global setup (runs in Node, outside jsdom): scans sysfs trees recorded from real kernels in the
 * pmem lab with the real reader, and hands each inventory and ndctl's JSON of the same moment to the tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Inventory } from '@daxfleet/shared';
import { scanInventory } from '@daxfleet/dax-native';
import type { TestProject } from 'vitest/node';

export const RECORDED_KERNELS = ['two-dimm-all-modes', 'four-dimm-mixed', 'one-dimm-label-less', 'devdax-system-ram'] as const;
export type RecordedKernelName = (typeof RECORDED_KERNELS)[number];
export type RecordedKernel = { inventory: Inventory; ndctlJson: string };

declare module 'vitest' {
  export interface ProvidedContext {
    recordedKernels: Record<RecordedKernelName, RecordedKernel>;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const kernels = {} as Record<RecordedKernelName, RecordedKernel>;
  for (const name of RECORDED_KERNELS) {
    const dir = fileURLToPath(new URL(`../../../../lab/fixtures/${name}/`, import.meta.url));
    kernels[name] = {
      inventory: await scanInventory({ sysfsRoot: `${dir}sys`, health: false }),
      ndctlJson: readFileSync(`${dir}ndctl.json`, 'utf8'),
    };
  }
  project.provide('recordedKernels', kernels);
}
