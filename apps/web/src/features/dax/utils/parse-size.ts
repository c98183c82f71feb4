/**
 * A size as an operator types it: bytes ("1073741824"), or a number with a binary unit as ndctl takes it
 * ("2M", "1G", "512k", "4KiB", "1.5G"). Returns bytes, or an error sentence.
 */
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseSize(text: string): { bytes: number } | { error: string } {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (match === null) return { error: `"${text}" is not a size: give bytes or a number with K, M, G or T (binary units), e.g. 2M or 1G.` };
  const bytes = Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes < 1) return { error: `"${text}" is not a whole number of bytes above zero.` };
  return { bytes };
}
