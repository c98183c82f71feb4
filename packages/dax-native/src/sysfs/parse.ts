/**
 * Parsers for attribute text, matching how libndctl/libdaxctl read the same values (strtoull with
 * base 0, "[selected] other" size lists, "offset length" bad-block lines). A value that does not
 * parse becomes a warning and is left out; it is never replaced by 0.
 */
import type { BadBlockRange } from '@daxfleet/shared';
import { readAttr, readRequiredAttr, type DeviceDir, type Warnings } from './read.js';

const DECIMAL = /^[0-9]+$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;
const OCTAL = /^0[0-7]+$/;

/** strtoull(text, NULL, 0) for well-formed text, as a bigint; undefined when malformed. */
export function parseU64Big(text: string): bigint | undefined {
  const t = text.trim();
  if (HEX.test(t) || (DECIMAL.test(t) && !OCTAL.test(t))) return BigInt(t);
  if (OCTAL.test(t)) return BigInt(`0o${t.slice(1)}`);
  return undefined;
}

/** strtoull(text, NULL, 0) as an exact JS integer; undefined when malformed or beyond 2^53. */
export function parseU64(text: string): number | undefined {
  const t = text.trim();
  // fast paths for what sysfs prints, always exact below 2^52
  if (DECIMAL.test(t) && t.length < 16 && !OCTAL.test(t)) return Number(t);
  if (HEX.test(t) && t.length <= 15) return parseInt(t.slice(2), 16);
  const big = parseU64Big(t);
  if (big === undefined || big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(big);
}

/** strtol(text, NULL, 0) for small signed values such as numa_node ("-1"). */
export function parseInt32(text: string): number | undefined {
  const t = text.trim();
  const negative = t.startsWith('-');
  const magnitude = parseU64(negative ? t.slice(1) : t);
  if (magnitude === undefined || magnitude > 0x7fffffff) return undefined;
  return negative ? -magnitude : magnitude;
}

/** An unsigned attribute; absent when missing, a warning when malformed. */
export function readU64(dir: DeviceDir, name: string, warnings: Warnings, required = false): number | undefined {
  const text = required ? readRequiredAttr(dir, name, warnings) : readAttr(dir, name, warnings);
  if (text === undefined) return undefined;
  if (text === '' && !required) return undefined; // see readInt
  const value = parseU64(text);
  if (value === undefined) warnings.push({ path: `${dir.label}/${name}`, message: `not an unsigned integer: ${JSON.stringify(text)}` });
  return value;
}

/** A signed attribute (numa_node, target_node); absent when missing, a warning when malformed. */
export function readInt(dir: DeviceDir, name: string, warnings: Warnings): number | undefined {
  const text = readAttr(dir, name, warnings);
  // The kernel never prints a number as an empty string; an empty file is a recorded tree's trace of
  // a read that failed (ENXIO) on the live kernel, where readAttr() already reads it as absent.
  if (text === undefined || text === '') return undefined;
  const value = parseInt32(text);
  if (value === undefined) warnings.push({ path: `${dir.label}/${name}`, message: `not an integer: ${JSON.stringify(text)}` });
  return value;
}

/** A node number as ndctl prints it: only when >= 0 (the kernel writes -1 for "no node"). */
export function readNode(dir: DeviceDir, name: string, warnings: Warnings): number | undefined {
  const node = readInt(dir, name, warnings);
  return node !== undefined && node >= 0 ? node : undefined;
}

/**
 * The selected entry of a "[512] 4096 " style list (sector_size, and the kernel's other
 * nd_size_select_show() attributes); undefined when nothing is selected, as libndctl reads it.
 */
export function parseSelectedSize(text: string): number | undefined {
  for (const field of text.trim().split(/\s+/)) {
    if (field.startsWith('[') && field.endsWith(']')) return parseU64(field.slice(1, -1));
  }
  return undefined;
}

/** "offset length" lines of a badblocks attribute; malformed lines end the list (badblocks_iter). */
export function parseBadblocks(text: string, onMalformed: (line: string) => void): BadBlockRange[] {
  const ranges: BadBlockRange[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const match = /^\s*(\d+)\s+(\d+)/.exec(line);
    const offset = match ? Number(match[1]) : NaN;
    const length = match ? Number(match[2]) : NaN;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || length < 1) {
      onMalformed(line);
      break;
    }
    ranges.push({ offset, length });
  }
  return ranges;
}

/** A badblocks attribute: absent when the file does not exist. */
export function readBadblocks(dir: DeviceDir, name: string, warnings: Warnings): BadBlockRange[] | undefined {
  const text = readAttr(dir, name, warnings);
  if (text === undefined) return undefined;
  return parseBadblocks(text, (line) =>
    warnings.push({ path: `${dir.label}/${name}`, message: `malformed bad-block line: ${JSON.stringify(line)}` }),
  );
}

/** The hex form used for physical addresses in the inventory ("0x240000000"). */
export function toHex(value: number): string {
  return `0x${value.toString(16)}`;
}
