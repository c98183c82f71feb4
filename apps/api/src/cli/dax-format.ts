/**
 * Human text for `daxfleet dax`: sizes as ndctl prints them (parse with ndctl's suffixes, print like `ndctl list -u`),
 * a change as an operator reviews it (request, steps, DATA LOSS, the dry-run list of flag changes, checks, refusal),
 * its result and verification, the change list, an inspection table and the fleet's capacity by mode.
 * `--json` bypasses all of it.
 */
import type {
  DaxChange, DaxChangeRequest, DaxChangeResult, DaxCheck, DaxStepResult, FleetCapacity, FsDaxEntry, FsDaxFlagChange,
  FsDaxInspectResult,
} from '@daxfleet/shared';
import { relative } from './recovery-format.js';

const SZ_1K = 1024n;
const SUFFIX_SHIFT: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/**
 * A size as ndctl's parse_size64 reads it: a number (decimal or 0x hex) with an optional k/m/g/t suffix
 * (1024-based, either case): 4G, 2M, 512K, 0x200000. Undefined when it is not one, or not a safe integer.
 */
export function parseSize(text: string): number | undefined {
  const m = /^(0x[0-9a-f]+|0|[1-9][0-9]*)([kmgt])?$/i.exec(text);
  if (m?.[1] === undefined) return undefined;
  const bytes = BigInt(m[1]) * (m[2] !== undefined ? SUFFIX_SHIFT[m[2].toLowerCase()] ?? 1n : 1n);
  return bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : undefined;
}

/** The shortest form parseSize reads back to the same bytes: 4294967296 -> "4G", 4096 -> "4K", 1000 -> "1000". */
export function sizeArg(bytes: number): string {
  for (const [suffix, unit] of [['T', 1n << 40n], ['G', 1n << 30n], ['M', 1n << 20n], ['K', SZ_1K]] as const) {
    const b = BigInt(bytes);
    if (b >= unit && b % unit === 0n) return `${b / unit}${suffix}`;
  }
  return String(bytes);
}

/** centi-units rounded as ndctl's display_size does: (bytes * 200 / unit + 1) / 2 */
function centi(bytes: bigint, unit: bigint): string {
  const c = (bytes * 200n / unit + 1n) / 2n;
  return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;
}

/**
 * Bytes as `ndctl list -u` prints a size (adapted there from mdadm's human_size_brief): below 5000 KiB the plain
 * number, else "4.00 GiB (4.29 GB)" with MiB below 2 GiB and TiB from 2 TiB.
 */
export function humanSize(bytes: number): string {
  const b = BigInt(bytes);
  if (b < 5000n * SZ_1K) return String(bytes);
  const [iec, jedec, iecUnit, jedecUnit] = b < 2n << 30n ? ['MiB', 'MB', 1n << 20n, 1_000_000n] as const
    : b < 2n << 40n ? ['GiB', 'GB', 1n << 30n, 1_000_000_000n] as const
    : ['TiB', 'TB', 1n << 40n, 1_000_000_000_000n] as const;
  return `${centi(b, iecUnit)} ${iec} (${centi(b, jedecUnit)} ${jedec})`;
}

/** humanSize with "bytes" after a plain number */
export function sizeText(bytes: number): string {
  const h = humanSize(bytes);
  return /^\d+$/.test(h) ? `${h} bytes` : h;
}

function indent(lines: string[], by = '  '): string[] {
  return lines.map((l) => `${by}${l}`);
}

export function formatCheck(c: DaxCheck): string {
  return `${c.ok ? '✓' : '✗'} ${c.id.padEnd(22)} ${c.detail}`;
}

/** The request in the words of the command line that makes it (`dax plan HOST` + these), e.g. for "plan again". */
export function requestArgs(r: DaxChangeRequest): string[] {
  const namespaceParams = (p: Extract<DaxChangeRequest, { kind: 'namespace-create' | 'namespace-reconfigure' }>): string[] => [
    '--mode', p.mode,
    ...(p.size !== undefined ? ['--size', sizeArg(p.size)] : []),
    ...(p.align !== undefined ? ['--align', sizeArg(p.align)] : []),
    ...(p.map !== undefined ? ['--map', p.map] : []),
    ...(p.sector_size !== undefined ? ['--sector-size', String(p.sector_size)] : []),
    ...(p.name !== undefined ? ['--name', p.name] : []),
  ];
  switch (r.kind) {
    case 'namespace-create': return ['create-namespace', '--region', r.region, ...namespaceParams(r)];
    case 'namespace-reconfigure': return ['reconfigure-namespace', r.namespace, ...namespaceParams(r)];
    case 'namespace-destroy': return ['destroy-namespace', r.namespace];
    case 'daxdev-reconfigure': return ['reconfigure-device', r.device, '--mode', r.mode,
      ...(r.online === false ? ['--no-online'] : []), ...(r.movable === false ? ['--no-movable'] : [])];
    case 'daxdev-online': return ['online-memory', r.device, ...(r.movable === false ? ['--no-movable'] : [])];
    case 'daxdev-offline': return ['offline-memory', r.device];
    case 'fs-dax-policy': return ['policy', r.path, '--dax', r.dax ? 'on' : 'off',
      ...(r.existing !== undefined && r.existing !== 'none' ? ['--existing', r.existing] : [])];
  }
}

/** a shell word as typed: quoted only when it has to be */
function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=+,@%-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(words: string[]): string {
  return words.map(shellWord).join(' ');
}

/** the target a change is about: the namespace, region, device or path */
export function targetOf(r: DaxChangeRequest): string {
  switch (r.kind) {
    case 'namespace-create': return r.region;
    case 'namespace-reconfigure': case 'namespace-destroy': return r.namespace;
    case 'daxdev-reconfigure': case 'daxdev-online': case 'daxdev-offline': return r.device;
    case 'fs-dax-policy': return r.path;
  }
}

/** key=value for the scalar fields of an object the agent reports (before / expected / after), sizes human */
function facts(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value === undefined ? undefined : JSON.stringify(value);
  const parts = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k}=${typeof v === 'number' && /size|bytes|available|capacity/.test(k) ? humanSize(v).replace(/ \(.*\)$/, '') : String(v)}`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

const onOff = (b: boolean | undefined): string => (b === undefined ? '-' : b ? 'on' : 'off');
const daxWord = (b: boolean | undefined): string => (b === undefined ? '-' : b ? 'dax' : 'not-dax');

function flagChangeLine(c: FsDaxFlagChange): string {
  const effective = c.kind === 'file' ? `  effective ${daxWord(c.effective_before)} → ${daxWord(c.effective_after)}` : '';
  const pending = c.pending_reason !== undefined ? `  (pending: ${c.pending_reason})` : '';
  return `${c.kind.padEnd(4)} ${c.path}  flag ${onOff(c.flag_before)} → ${onOff(c.flag_after)}${effective}${pending}`;
}

/** the DATA LOSS block, shown again before the execute confirmation */
export function dataLossLines(change: DaxChange): string[] {
  const loss = change.plan.data_loss;
  if (loss.length === 0) return ['DATA LOSS: none'];
  // the agent's description names the size already ("all data on namespace0.3 (64.00 MiB, raw, /dev/pmem0.3)")
  return ['DATA LOSS:', ...indent(loss.map((d) => `! ${d.description}`))];
}

/** the policy's dry-run list: every flag that would change (as many as the agent listed) */
function flagChangeLines(change: DaxChange): string[] {
  const list = change.plan.changes;
  if (list === undefined) return [];
  const total = change.plan.changes_total ?? list.length;
  if (total === 0) return ['flag changes: none (every flag is already as asked)'];
  const shown = total > list.length ? ` (the first ${list.length} of ${total})` : ` (${total})`;
  return [`flag changes${shown}:`, ...indent(list.map(flagChangeLine))];
}

export function formatChange(c: DaxChange, now: Date): string {
  const plan = c.plan;
  const lines: string[] = [];
  lines.push(`change ${c.id}  ${c.kind} on host ${c.host_id}  status ${c.status}`);
  lines.push(`request   ${commandLine(requestArgs(plan.request))}`);
  lines.push(`created   ${c.created_at} by ${c.created_by}`);
  lines.push(c.status === 'planned' ? `expires   ${c.expires_at} (${relative(c.expires_at, now)})` : `expires   ${c.expires_at}`);
  const before = facts(plan.before);
  if (before !== undefined) lines.push(`before    ${before}`);
  const expected = facts(plan.expected);
  if (expected !== undefined) lines.push(`expected  ${expected}`);
  if (plan.steps.length === 0) lines.push('steps: none');
  else {
    const width = Math.max(...plan.steps.map((s) => s.op.length));
    lines.push('steps:', ...indent(plan.steps.map((s) => `${String(s.n).padStart(2)}. ${s.op.padEnd(width)}  ${s.description}`)));
  }
  lines.push(...dataLossLines(c));
  lines.push(...flagChangeLines(c));
  lines.push('checks:', ...indent(plan.checks.map(formatCheck)));
  if (!plan.executable) lines.push(`REFUSED: ${plan.refusal ?? 'a precondition failed (see the checks)'}`);
  lines.push(`digest    ${plan.digest}`);
  if (c.result !== undefined) lines.push(...formatResult(c.result));
  else if (c.status === 'planned' && plan.executable) lines.push(`to run it: daxfleet dax execute ${c.id}`);
  return `${lines.join('\n')}\n`;
}

const STEP_MARK: Record<DaxStepResult['status'], string> = { done: '✓', failed: '✗', skipped: '-' };

export function formatStepResult(s: DaxStepResult): string {
  return `${STEP_MARK[s.status]} ${String(s.n).padStart(2)}. ${s.op} ${s.status}${s.detail !== undefined ? `: ${s.detail}` : ''}`;
}

/** a policy's `after` is the path's inspection: its counts say more than its scalar fields */
function isInspection(value: unknown): value is Pick<FsDaxInspectResult, 'entries' | 'counts' | 'scanned'> {
  const v = value as Partial<FsDaxInspectResult> | undefined;
  return typeof v === 'object' && v !== null && Array.isArray(v.entries) && typeof v.counts === 'object';
}

function inspectionSummary(r: Pick<FsDaxInspectResult, 'counts' | 'scanned'>): string {
  const k = r.counts;
  return `scanned ${r.scanned}: ${k.dax} dax, ${k['not-dax']} not-dax, ${k.pending} pending, ${k['n/a']} n/a`;
}

/** what executing did and what the fresh scan showed */
export function formatResult(r: DaxChangeResult): string[] {
  const lines = [`result: ${r.outcome}, executed by ${r.executed_by}, ${r.started_at} → ${r.finished_at}`];
  lines.push(...indent(r.steps.map(formatStepResult)));
  lines.push('verification (a fresh scan):', ...indent(r.verification.map(formatCheck)));
  if (r.changed !== undefined || r.pending !== undefined) {
    lines.push(`flags changed: ${r.changed ?? 0}; files pending now: ${r.pending ?? 0}`);
  }
  const after = isInspection(r.after) ? inspectionSummary(r.after) : facts(r.after);
  if (after !== undefined) lines.push(`after     ${after}`);
  if (r.error !== undefined) lines.push(`error: ${r.error}`);
  return lines;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** one line per change, newest first as the hub lists them */
export function formatChangeList(changes: DaxChange[]): string {
  if (changes.length === 0) return 'no dax changes\n';
  const rows = changes.map((c) => [c.id, c.host_id, c.kind, c.status, c.created_at, targetOf(c.plan.request)]);
  return `${table(['ID', 'HOST', 'KIND', 'STATUS', 'CREATED', 'TARGET'], rows).join('\n')}\n`;
}

function entryRow(e: FsDaxEntry): string[] {
  const effective = e.kind === 'file' ? daxWord(e.effective) : '-';
  return [e.kind, onOff(e.flag), effective, e.state, e.reason ?? '', e.error !== undefined ? `${e.path} (${e.error})` : e.path];
}

/** the inspection: the filesystem, a flag / effective / state / reason table, why each pending file is pending */
export function formatInspection(r: FsDaxInspectResult): string {
  const lines: string[] = [];
  const fs = r.filesystem;
  if (fs !== undefined) {
    const device = fs.device_dax === undefined ? '' : fs.device_dax ? ', device supports DAX' : ', device WITHOUT DAX support';
    lines.push(`filesystem ${fs.mountpoint}: ${fs.fstype} on ${fs.source}, dax=${fs.dax} (${fs.dax_option})${device}` +
      `${fs.read_only ? ', read-only' : ''}${fs.per_inode ? ', per-inode flags honoured' : ''}`);
  }
  if (r.error !== undefined) lines.push(`error: ${r.error}`);
  if (r.entries.length > 0) lines.push(...table(['KIND', 'FLAG', 'EFFECTIVE', 'STATE', 'REASON', 'PATH'], r.entries.map(entryRow)));
  else if (r.error === undefined) lines.push('no entries (nothing pending)');
  const why = r.entries.filter((e) => e.state === 'pending' && (e.detail !== undefined || e.holders !== undefined));
  if (why.length > 0) {
    lines.push('pending:');
    for (const e of why) {
      lines.push(`  ${e.path}: ${e.detail ?? e.reason ?? ''}`);
      if (e.holders !== undefined && e.holders.length > 0) {
        lines.push(`    held by ${e.holders.map((h) => `${h.command} (pid ${h.pid})`).join(', ')}`);
      }
    }
  }
  lines.push(`${inspectionSummary(r)}${r.truncated ? '; truncated (raise --limit to see more)' : ''}`);
  return `${lines.join('\n')}\n`;
}

const CAPACITY_MODES = ['fsdax', 'devdax', 'system-ram', 'sector', 'raw', 'free'] as const;

/** the fleet by mode, sizes as `ndctl list -u` prints them */
export function formatCapacity(c: FleetCapacity): string {
  const lines: string[] = [];
  lines.push(`fleet capacity: ${c.hosts.length} host${c.hosts.length === 1 ? '' : 's'} with pmem, ` +
    `${c.hosts_without_pmem} without; total ${humanSize(c.totals.total)}`);
  lines.push(...table(['MODE', 'SIZE'], CAPACITY_MODES.map((m) => [m, humanSize(c.totals[m])])));
  if (c.hosts.length > 0) {
    lines.push('');
    const short = (bytes: number): string => humanSize(bytes).replace(/ \(.*\)$/, '');
    lines.push(...table(['HOST', 'HOSTNAME', 'STATUS', 'TOTAL', ...CAPACITY_MODES.map((m) => m.toUpperCase()), 'FS inode/always/never'],
      c.hosts.map((h) => [h.host_id, h.hostname, h.status, short(h.capacity.total), ...CAPACITY_MODES.map((m) => short(h.capacity[m])),
        `${h.filesystems.inode}/${h.filesystems.always}/${h.filesystems.never}`])));
  }
  const f = c.filesystems;
  lines.push('', `filesystems: ${f.inode} dax=inode, ${f.always} dax=always, ${f.never} dax=never; ` +
    `${f.without_device_dax} on a device without DAX`);
  lines.push(`generated ${c.generated_at}`);
  return `${lines.join('\n')}\n`;
}
