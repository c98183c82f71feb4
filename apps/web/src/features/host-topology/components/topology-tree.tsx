import type { Inventory } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { collectWarnings } from '../utils/collect-warnings';
import { BusNode } from './bus-node';
import { ChangeHrefContext, type ChangeHref } from './change-links';
import { DaxDeviceTable } from './dax-device-table';

/**
 * The host's persistent memory as the kernel builds it: bus → DIMMs and regions → namespaces →
 * block device (pmemX) or character device (daxX.Y), plus dax regions without a namespace (hmem).
 */
export function TopologyTree({ inventory, changeHref }: { inventory: Inventory; changeHref?: ChangeHref }) {
  const warnings = collectWarnings(inventory);
  return (
    <ChangeHrefContext value={changeHref}>
    <section className="topology" aria-labelledby="topology-heading">
      <h2 id="topology-heading">Topology</h2>
      {inventory.health_source === 'none' && inventory.buses.some((bus) => bus.dimms.length > 0) && (
        <p className="muted">
          DIMM health is not reported by this host:{' '}
          {inventory.sysfs_root === '/sys'
            ? 'the native libndctl addon is not available to its agent.'
            : `it reads a recorded sysfs tree (${inventory.sysfs_root}), which has no SMART commands behind it.`}
        </p>
      )}
      {inventory.buses.length === 0 && inventory.dax_regions.length === 0 && (
        <p>No NVDIMM bus found under <code>{inventory.sysfs_root}</code>: this host has no persistent memory.</p>
      )}
      {inventory.buses.length > 0 && (
        <ul className="tree tree--root" aria-label="NVDIMM buses">
          {inventory.buses.map((bus) => <li key={bus.dev}><BusNode bus={bus} /></li>)}
        </ul>
      )}
      {inventory.dax_regions.length > 0 && (
        <section className="tree-node" aria-labelledby="dax-regions-heading">
          <h3 id="dax-regions-heading">Dax regions without a namespace</h3>
          {inventory.dax_regions.map((daxRegion) => (
            <div key={daxRegion.id} className="tree-node__body">
              <p>
                <Badge tone="info">dax region {daxRegion.id}</Badge> <Bytes value={daxRegion.size} />
              </p>
              <DaxDeviceTable devices={daxRegion.devices} caption={`Dax devices in dax region ${daxRegion.id}`} />
            </div>
          ))}
        </section>
      )}
      {warnings.length > 0 && (
        <section className="scan-warnings" aria-labelledby="scan-warnings-heading">
          <h3 id="scan-warnings-heading">Scan warnings ({warnings.length})</h3>
          <table className="table table--compact">
            <caption className="visually-hidden">Warnings from the last scan</caption>
            <thead>
              <tr><th scope="col">Object</th><th scope="col">Path</th><th scope="col">Message</th></tr>
            </thead>
            <tbody>
              {warnings.map((warning, index) => (
                <tr key={`${warning.object}:${warning.path}:${index}`}>
                  <td>{warning.object}</td>
                  <td><code>{warning.path}</code></td>
                  <td>{warning.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
    </ChangeHrefContext>
  );
}
