import { formatBytes, formatExactBytes } from '@/lib/format';

/** A size in binary units ("4.00 GiB") with the exact byte count on hover. */
export function Bytes({ value }: { value: number }) {
  return (
    <data className="bytes" value={value} title={formatExactBytes(value)}>
      {formatBytes(value)}
    </data>
  );
}
