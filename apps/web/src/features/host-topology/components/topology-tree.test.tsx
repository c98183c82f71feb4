import { render, screen, within } from '@testing-library/react';
import { describe, expect, inject, it } from 'vitest';
import { formatBytes } from '@/lib/format';
import { TopologyTree } from './topology-tree';

/**
 * The topology of a sysfs tree recorded from a real kernel in the pmem lab (2 DIMMs, every namespace mode,
 * a dax device onlined as system RAM, 8 bad sectors on the raw namespace), read by the real scanner and
 * checked against what ndctl printed at the same moment.
 */
const { inventory, ndctlJson } = inject('recordedKernels')['two-dimm-all-modes'];

type NdctlNamespace = {
  dev: string; mode: string; size: number; blockdev?: string;
  daxregion?: { devices?: Array<{ chardev: string; mode: string; size: number; online_memblocks?: number; total_memblocks?: number }> };
  badblocks?: Array<{ offset: number; length: number }>;
};
type NdctlBus = { dev: string; dimms: Array<{ dev: string; id: string }>; regions: Array<{ dev: string; size: number; namespaces: NdctlNamespace[] }> };

// iset_id is a signed 64-bit integer beyond a double's range: quote it before parsing (the test never reads it)
const ndctl = JSON.parse(ndctlJson.replace(/("iset_id":)(-?\d+)/g, '$1"$2"')) as NdctlBus[];

function node(name: string, scope: HTMLElement = document.body): HTMLElement {
  return within(scope).getByRole('region', { name });
}

describe('TopologyTree on a recorded kernel', () => {
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
        for (const namespace of region.namespaces) {
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
    for (const namespace of ndctl.flatMap((bus) => bus.regions).flatMap((region) => region.namespaces)) {
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

  it('lists bad blocks per namespace in sectors', () => {
    render(<TopologyTree inventory={inventory} />);
    const withBadBlocks = ndctl.flatMap((bus) => bus.regions).flatMap((region) => region.namespaces)
      .filter((namespace) => (namespace.badblocks ?? []).length > 0);
    expect(withBadBlocks.length).toBeGreaterThan(0);
    for (const namespace of withBadBlocks) {
      const table = screen.getByRole('table', { name: `Bad blocks in ${namespace.dev} (sectors, as ndctl -M lists them)` });
      const rows = within(table).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell').slice(0, 3).map((cell) => cell.textContent));
      expect(rows).toEqual((namespace.badblocks ?? []).map((range) => [
        range.offset.toLocaleString('en-US'), String(range.length), formatBytes(range.length * 512),
      ]));
    }
  });

  it('says plainly when a host has no NVDIMM bus', () => {
    render(<TopologyTree inventory={{ ...inventory, buses: [], dax_regions: [], sysfs_root: '/sys' }} />);
    expect(screen.getByText(/No NVDIMM bus found under/).textContent)
      .toBe('No NVDIMM bus found under /sys: this host has no persistent memory.');
  });
});
