import type { BadRange, LedgerEntry } from '@daxfleet/shared';
import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { formatInteger } from '@/lib/format';
import { RangeFilesCell, RangeFilesPanel } from './range-files';
import { RecoverLink } from './recover-link';

const SECTOR_BYTES = 512;

/** "namespace0.0 (fsdax) +65536" / "pmem0 sector 65536" / "dax1.0 byte 0x2000000": the range where software sees it. */
export function namespaceCoordinate(range: BadRange): string | undefined {
  if (range.namespace === undefined) return undefined;
  const mode = range.namespace_mode === undefined ? '' : ` (${range.namespace_mode})`;
  const offset = range.namespace_offset === undefined ? '' : ` +${formatInteger(range.namespace_offset)}`;
  return `${range.namespace}${mode}${offset}`;
}

export function deviceCoordinates(range: BadRange): string[] {
  const out: string[] = [];
  if (range.blockdev !== undefined) out.push(`${range.blockdev}${range.blockdev_offset === undefined ? '' : ` sector ${formatInteger(range.blockdev_offset)}`}`);
  if (range.chardev !== undefined) out.push(`${range.chardev}${range.chardev_offset_bytes === undefined ? '' : ` byte 0x${range.chardev_offset_bytes.toString(16)}`}`);
  return out;
}

/**
 * The bad-range ledger: where each range is in every coordinate system the hub computed (region-relative sectors,
 * SPA, namespace, pmemX/daxX.Y), the DIMMs under it, the files it hits (open ranges under a mounted filesystem:
 * the row expands to the details) and its life (first/last seen, cleared, how it was found).
 */
export function LedgerTable({ entries, showHost = true }: { entries: readonly LedgerEntry[]; showHost?: boolean }) {
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const toggle = (id: number) => setExpanded((before) => {
    const next = new Set(before);
    if (!next.delete(id)) next.add(id);
    return next;
  });
  const columns = showHost ? 13 : 12;
  return (
    <div className="table-wrap">
      <table className="table table--compact ledger-table" aria-label="Bad-block ledger">
        <thead>
          <tr>
            {showHost && <th scope="col">Host</th>}
            <th scope="col">Range (region + offset, sectors)</th>
            <th scope="col">SPA</th>
            <th scope="col">Namespace</th>
            <th scope="col">Device</th>
            <th scope="col">DIMMs</th>
            <th scope="col">Files</th>
            <th scope="col">State</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Cleared</th>
            <th scope="col">Found by</th>
            <th scope="col"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const { range } = entry;
            const devices = deviceCoordinates(range);
            const detailsId = `range-files-${entry.id}`;
            const open = expanded.has(entry.id) && entry.state === 'open' && entry.files !== undefined;
            return (
              <Fragment key={entry.id}>
                <tr className={entry.state === 'open' ? 'ledger-table__row--open' : undefined}>
                  {showHost && <td><Link to={paths.host.getHref(entry.host_id)}>{entry.hostname}</Link></td>}
                  <td>
                    <code>{`${range.region}+${range.region_offset}`}</code>{' '}
                    <span className="muted">({formatInteger(range.length)} {range.length === 1 ? 'sector' : 'sectors'}, <Bytes value={range.length * SECTOR_BYTES} />)</span>
                    {range.source === 'blockdev' && <> <Badge tone="muted" title="listed only by the block device, not by its region">device list</Badge></>}
                  </td>
                  <td>{range.spa === undefined ? <span className="muted">-</span> : <code>{range.spa}</code>}</td>
                  <td>{namespaceCoordinate(range) ?? <span className="muted">-</span>}</td>
                  <td>{devices.length === 0 ? <span className="muted">-</span> : devices.map((device) => <div key={device}><code>{device}</code></div>)}</td>
                  <td>
                    {range.dimms.length === 0 ? <span className="muted">-</span> : range.dimms.map((dimm) => (
                      <div key={dimm.dimm}>{dimm.dimm}{dimm.dpa !== undefined && <span className="muted"> DPA {dimm.dpa}</span>}</div>
                    ))}
                  </td>
                  <td><RangeFilesCell entry={entry} expanded={open} onToggle={() => toggle(entry.id)} detailsId={detailsId} /></td>
                  <td><Badge tone={entry.state === 'open' ? 'danger' : 'good'}>{entry.state}</Badge></td>
                  <td><RelativeTime iso={entry.first_seen} /></td>
                  <td><RelativeTime iso={entry.last_seen} /></td>
                  <td>{entry.cleared_at === undefined ? <span className="muted">-</span> : <><RelativeTime iso={entry.cleared_at} />{entry.cleared_by !== undefined && <span className="muted"> ({entry.cleared_by})</span>}</>}</td>
                  <td>{entry.found_by}</td>
                  <td><RecoverLink entry={entry} /></td>
                </tr>
                {open && entry.files !== undefined && (
                  <tr id={detailsId} className="ledger-table__details">
                    <td colSpan={columns}><RangeFilesPanel entry={entry} files={entry.files} /></td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
