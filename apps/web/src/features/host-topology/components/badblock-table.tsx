import type { BadBlockRange } from '@daxfleet/shared';
import { Bytes } from '@/components/ui/bytes';
import { formatInteger } from '@/lib/format';

const SECTOR_BYTES = 512;

/** Bad-block ranges in 512-byte sectors, relative to the object that lists them (named in the caption). */
export function BadBlockTable({ ranges, caption }: { ranges: readonly BadBlockRange[]; caption: string }) {
  if (ranges.length === 0) return null;
  const showDimms = ranges.some((range) => range.dimms !== undefined);
  return (
    <table className="table table--compact badblock-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Offset (sector)</th>
          <th scope="col">Length (sectors)</th>
          <th scope="col">Bytes</th>
          {showDimms && <th scope="col">DIMMs</th>}
        </tr>
      </thead>
      <tbody>
        {ranges.map((range) => (
          <tr key={`${range.offset}+${range.length}`}>
            <td>{formatInteger(range.offset)}</td>
            <td>{formatInteger(range.length)}</td>
            <td><Bytes value={range.length * SECTOR_BYTES} /></td>
            {showDimms && <td>{range.dimms?.join(', ') ?? ''}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
