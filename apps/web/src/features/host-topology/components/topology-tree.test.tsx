import { render, screen, within } from '@testing-library/react';
import { describe, expect, inject, it } from 'vitest';
import { formatBytes } from '@/lib/format';
import { TopologyTree } from './topology-tree';

/**
 * The topology of sysfs trees recorded from real kernels in the pmem lab (every namespace mode, dax devices
 * onlined as system RAM, injected bad blocks, a label-less DIMM), read by the real scanner and checked
 * against what ndctl printed at the same moment.
 */

type NdctlNamespace = {
  dev: string; mode: string; size: number; blockdev?: string;
  daxregion?: { devices?: Array<{ chardev: string; mode: string; size: number; online_memblocks?: number; total_memblocks?: number }> };
  badblocks?: Array<{ offset: number; length: number }>;
};
type NdctlRegion = { dev: string; size: number; namespaces?: NdctlNamespace[] };
type NdctlBus = { dev: string; dimms: Array<{ dev: string; id: string }>; regions: NdctlRegion[] };

function parseNdctl(json: string): NdctlBus[] {
  // iset_id is a signed 64-bit integer beyond a double's range: quote it before parsing (the test never reads it)
  const parsed = JSON.parse(json.replace(/("iset_id":)(-?\d+)/g, '$1"$2"')) as NdctlBus[] | NdctlBus;
  return Array.isArray(parsed) ? parsed : [parsed];
}

const namespacesOf = (ndctl: NdctlBus[]) => ndctl.flatMap((bus) => bus.regions).flatMap((region) => region.namespaces ?? []);

function node(name: string, scope: HTMLElement = document.body): HTMLElement {
  return within(scope).getByRole('region', { name });
}

for (const [kernel, { inventory, ndctlJson }] of Object.entries(inject('recordedKernels'))) {
  const ndctl = parseNdctl(ndctlJson);

  describe(`TopologyTree on the recorded kernel ${kernel}`, () => {
    it('nests bus → DIMMs and regions → namespaces as the kernel does', () => {
      render(<TopologyTree inventory={inventory} />);
      for (const bus of ndctl) {
        const busNode = node(bus.dev);
        const dimms = within(busNode).getByRole('table', { name: `DIMMs on ${bus.dev}` });
        for (const dimm of bus.dimms) {
          expect(within(dimms).getByRole('row', { name: new RegExp(`^${dimm.dev} `) }).textContent).toContain(dimm.id);
        }
        for (const region of bus.regions) {
          const regionNode = node(region.dev, busNode);
          expect(within(regionNode).getAllByText(formatBytes(region.size))[0]?.getAttribute('value')).toBe(String(region.size));
          for (const namespace of region.namespaces ?? []) {
            const namespaceNode = node(namespace.dev, regionNode);
            const head = namespaceNode.querySelector<HTMLElement>('.tree-node__head');
            expect(head).not.toBeNull();
            if (head === null) continue;
            expect(within(head).getByText(namespace.mode, { selector: '.badge' })).toBeTruthy();
            expect(within(head).getByText(formatBytes(namespace.size)).getAttribute('value')).toBe(String(namespace.size));
          }
        }
      }
    });

    it('ends each namespace in its block device or character devices, with dax device modes', () => {
      render(<TopologyTree inventory={inventory} />);
      for (const namespace of namespacesOf(ndctl)) {
        const namespaceNode = node(namespace.dev);
        const deviceLine = namespaceNode.querySelector('.device-node')?.textContent ?? '';
        if (namespace.blockdev !== undefined) {
          expect(deviceLine).toBe(`block device /dev/${namespace.blockdev}`);
        }
        for (const device of namespace.daxregion?.devices ?? []) {
          expect(deviceLine).toContain(`/dev/${device.chardev}`);
          const row = within(namespaceNode).getByRole('row', { name: new RegExp(`^/dev/${device.chardev} `) });
          const cells = within(row).getAllByRole('cell').map((cell) => cell.textContent);
          expect(cells[0]).toBe(device.mode);
          expect(cells[1]).toBe(formatBytes(device.size));
          if (device.mode === 'system-ram') expect(cells[2]).toContain(`${device.online_memblocks}/${device.total_memblocks} online`);
        }
      }
    });

    it('lists bad blocks per namespace in sectors, as ndctl does', () => {
      render(<TopologyTree inventory={inventory} />);
      for (const namespace of namespacesOf(ndctl)) {
        const table = screen.queryByRole('table', { name: `Bad blocks in ${namespace.dev} (sectors, as ndctl -M lists them)` });
        if ((namespace.badblocks ?? []).length === 0) continue;
        expect(table).not.toBeNull();
        if (table === null) continue;
        const rows = within(table).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell').slice(0, 3).map((cell) => cell.textContent));
        expect(rows).toEqual((namespace.badblocks ?? []).map((range) => [
          range.offset.toLocaleString('en-US'), String(range.length), formatBytes(range.length * 512),
        ]));
      }
    });
  });
}

describe('TopologyTree without persistent memory', () => {
  it('says plainly that the host has no NVDIMM bus', () => {
    const inventory = { schema_version: 1, sysfs_root: '/sys', buses: [], dax_regions: [], health_source: 'none', warnings: [] } as const;
    render(<TopologyTree inventory={{ ...inventory, buses: [], dax_regions: [], warnings: [] }} />);
    expect(screen.getByText(/No NVDIMM bus found under/).textContent)
      .toBe('No NVDIMM bus found under /sys: this host has no persistent memory.');
    expect(screen.queryByText(/DIMM health is not reported/)).toBeNull();
  });
});
