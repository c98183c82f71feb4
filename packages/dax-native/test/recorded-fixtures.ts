/** The sysfs trees the lab recorded from real kernels (lab/fixtures/<name>/sys + ndctl/daxctl output). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../lab/fixtures/', import.meta.url));

export interface RecordedKernel {
  name: string;
  dir: string;
  sysfsRoot: string;
  /** text of a recorded command output, or undefined when this fixture has none */
  output(file: 'ndctl.json' | 'ndctl-idle.json' | 'daxctl.json'): string | undefined;
}

export function recordedKernels(): RecordedKernel[] {
  if (!existsSync(FIXTURES_DIR)) return [];
  return readdirSync(FIXTURES_DIR)
    .sort()
    .map((name) => ({ name, dir: `${FIXTURES_DIR}${name}` }))
    .filter(({ dir }) => existsSync(`${dir}/sys`) && existsSync(`${dir}/ndctl.json`))
    .map(({ name, dir }) => ({
      name,
      dir,
      sysfsRoot: `${dir}/sys`,
      output: (file) => (existsSync(`${dir}/${file}`) ? readFileSync(`${dir}/${file}`, 'utf8') : undefined),
    }));
}

/**
 * JSON.parse for ndctl output, keeping integers beyond 2^53 (iset_id) exact: they become
 * { int64: "<decimal>" } so a comparison never goes through a double.
 */
export function parseNdctlText(text: string): unknown {
  if (text.trim() === '') return [];
  const quoted = text.replace(/("[^"\\]*(?:\\.[^"\\]*)*")|(-?\d{16,})/g, (match, str: string | undefined, big: string | undefined) =>
    str !== undefined ? match : `{"int64":"${big}"}`,
  );
  return JSON.parse(quoted);
}

/** The same shape for a value built in memory: bigint -> { int64 }, plain numbers beyond 2^53 too. */
export function normaliseNdctlValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : { int64: value.toString() };
  if (Array.isArray(value)) return value.map(normaliseNdctlValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseNdctlValue(v)]));
  }
  return value;
}
