/**
 * Display formatting. Sizes are binary units with two decimals, as `ndctl list -u` prints them
 * ("4.00 GiB"); exact bytes go in a tooltip. Times are relative ("3 min ago") with the full
 * timestamp in a tooltip.
 */

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** 4294967296 -> "4.00 GiB"; 512 -> "512 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1024) return `${sign}${value} B`;
  let unit: string = BINARY_UNITS[0];
  value /= 1024;
  for (const next of BINARY_UNITS.slice(1)) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${sign}${value.toFixed(2)} ${unit}`;
}

const integerFormat = new Intl.NumberFormat('en-US');

/** 4294967296 -> "4,294,967,296 bytes" */
export function formatExactBytes(bytes: number): string {
  return `${integerFormat.format(bytes)} ${bytes === 1 ? 'byte' : 'bytes'}`;
}

export function formatInteger(value: number): string {
  return integerFormat.format(value);
}

/** Hex strings as the kernel prints them ("0x240000000") stay as they are; numbers become hex. */
export function formatAddress(value: string | number): string {
  return typeof value === 'number' ? `0x${value.toString(16)}` : value;
}

/** "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago"; future times (clock skew) read "just now". */
export function formatRelativeTime(date: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} d ago`;
}

/** The full timestamp for a tooltip: local time with zone, and the ISO form. */
export function formatTimestamp(date: Date): string {
  const local = date.toLocaleString('en-GB', {
    year: 'numeric', month: 'short', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
  });
  return `${local} (${date.toISOString()})`;
}

/** A value from an inventory diff, in words. */
export function formatChangeValue(value: unknown, field?: string): string {
  if (value === undefined || value === null) return 'absent';
  if (typeof value === 'number' && field !== undefined && isByteField(field)) return formatBytes(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((item) => formatChangeValue(item)).join(', ');
  if (isSectorRange(value)) return `${value.offset}+${value.length}`;
  return JSON.stringify(value);
}

/** A bad-block range reads as the kernel's badblocks files write it: first sector + count. */
function isSectorRange(value: unknown): value is { offset: number; length: number } {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.offset === 'number' && typeof candidate.length === 'number';
}

const BYTE_FIELDS = new Set(['size', 'raw_size', 'available_size', 'max_available_extent', 'align', 'data_offset', 'total_capacity']);

function isByteField(field: string): boolean {
  const last = field.split('.').at(-1) ?? field;
  return BYTE_FIELDS.has(last);
}
