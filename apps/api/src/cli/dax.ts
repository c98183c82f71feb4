/**
 * `daxfleet dax plan|execute|show|list|inspect|capacity`: a REST client of the hub's DAX changes, filesystem DAX
 * inspection and fleet capacity. The host's agent plans and executes (a dry run first, then the reviewed plan by its
 * digest, verified by a fresh scan); the hub stores and audits; this prints what they answer.
 *
 * Exit codes: 0 done (plan: executable; execute: verified); 1 the hub failed or could not be reached, the
 * confirmation was not given, or an inspection could not look at the path; 2 usage; 3 refused (plan: not
 * executable; execute: a 409 of the hub — expired, already executed, digest mismatch, not executable, host changed,
 * busy — or the change ended refused / expired); 5 the execution failed or was interrupted.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  DAX_CHANGE_KINDS, type DaxChange, type DaxChangeCreateBody, type DaxChangeList, type DaxChangeRequest,
  type DaxChangeStatus, type FleetCapacity, type FsDaxInspectResult, type NamespaceTargetMode,
} from '@daxfleet/shared';
import {
  commandLine, dataLossLines, formatCapacity, formatChange, formatChangeList, formatInspection, formatResult,
  parseSize, requestArgs,
} from './dax-format.js';
import { HubClient, HubError, HubUnreachableError } from './hub-client.js';
import { UsageError } from './usage-error.js';

export const DAX_USAGE = `daxfleet dax <plan|execute|show|list|inspect|capacity> [options]   (a client of the hub's REST API)
  --hub URL              the hub (default $DAXFLEET_HUB, else http://127.0.0.1:7300)
  --token TOKEN          an API token dxf_tok_… (default $DAXFLEET_TOKEN): viewer to show, list and see
                         capacity, operator to plan, execute and inspect
  --json                 print the API's JSON instead of text

daxfleet dax plan HOST_ID CHANGE [options]
                         the host's agent plans the change and changes nothing: prints the steps, the DATA
                         LOSS, every precondition (✓/✗), for a policy the flags it would change, and the change
                         id; exit 0 executable, 3 refused. CHANGE is one of:
    create-namespace --region regionN --mode M [--size S] [--align A] [--map mem|dev] [--sector-size N] [--name X]
    reconfigure-namespace namespaceX.Y --mode M [--size S] [--align A] [--map mem|dev] [--sector-size N] [--name X]
                         (destroys the namespace's data, as ndctl create-namespace -f -e does)
    destroy-namespace namespaceX.Y
    reconfigure-device daxX.Y --mode system-ram|devdax [--no-online] [--no-movable]
    online-memory daxX.Y [--no-movable]
    offline-memory daxX.Y
    policy PATH --dax on|off [--existing none|directories|all]
                         set or clear FS_XFLAG_DAX on PATH (new files and directories in it inherit it); existing
                         files keep their flag unless --existing directories (every subdirectory) or all (every
                         subdirectory and regular file)
  --mode M               namespaces: raw, sector, fsdax or devdax
  --size S, --align A    bytes, or with ndctl's suffixes (1024-based k, m, g, t): 4G, 2M, 512K
  --ttl S                how long the plan can be executed, 60-3600 seconds (default 600)

daxfleet dax execute CHANGE_ID [--yes]
                         shows the change's data loss, asks you to type the change id (unless --yes); the agent
                         plans again, refuses when anything changed, runs the steps and verifies by a fresh
                         scan; exit 0 verified, 3 refused (the code and message of the hub's 409), 5 failed
daxfleet dax show CHANGE_ID             one change: its plan, and its result when executed
daxfleet dax list [--host HOST_ID] [--status S] [--kind K] [--limit N] [--before CURSOR]   newest first
daxfleet dax inspect HOST_ID PATH [--recursive] [--audit] [--limit N]
                         FS_XFLAG_DAX (flag), S_DAX (effective), state and why it is pending, of PATH and its
                         children (--recursive: the subtree on the same filesystem; --audit: only the files whose
                         effective state differs from what the mount and flag ask for)
daxfleet dax capacity   the fleet's persistent memory by mode (fsdax, devdax, system-ram, sector, raw, free),
                         per host, and the mounted filesystems by dax mode
  exit codes: 0 done, 1 the hub failed or was unreachable (or no confirmation), 2 usage, 3 refused, 5 failed
              or interrupted
`;

const EXIT = { ok: 0, failed: 1, refused: 3, executionFailed: 5 } as const;
const DEFAULT_HUB = 'http://127.0.0.1:7300';
/** the hub waits for the agent's dry run; a policy plan walks a subtree */
const PLAN_TIMEOUT_MS = 150_000;
/** the hub waits up to 120 s for the agent's answer to the execute command: wait longer than that for the hub */
const EXECUTE_TIMEOUT_MS = 150_000;
const INSPECT_TIMEOUT_MS = 150_000;

const OPTIONS = {
  hub: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  ttl: { type: 'string' },
  region: { type: 'string' },
  mode: { type: 'string' },
  size: { type: 'string' },
  align: { type: 'string' },
  map: { type: 'string' },
  'sector-size': { type: 'string' },
  name: { type: 'string' },
  'no-online': { type: 'boolean', default: false },
  'no-movable': { type: 'boolean', default: false },
  dax: { type: 'string' },
  existing: { type: 'string' },
  host: { type: 'string' },
  status: { type: 'string' },
  kind: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  recursive: { type: 'boolean', default: false },
  audit: { type: 'boolean', default: false },
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];
type Flag = keyof typeof OPTIONS;

const COMMON_FLAGS: readonly Flag[] = ['hub', 'token', 'json', 'help'];
const NAMESPACE_FLAGS: readonly Flag[] = ['mode', 'size', 'align', 'map', 'sector-size', 'name'];

/** the flags each subcommand takes besides the common ones */
const SUBCOMMAND_FLAGS: Record<string, readonly Flag[]> = {
  plan: ['ttl', 'region', ...NAMESPACE_FLAGS, 'no-online', 'no-movable', 'dax', 'existing'],
  execute: ['yes'],
  show: [],
  list: ['host', 'status', 'kind', 'limit', 'before'],
  inspect: ['recursive', 'audit', 'limit'],
  capacity: [],
};

/** `dax plan HOST CHANGE`: each CHANGE word, its request kind, its positional target and the flags it takes */
const CHANGES = {
  'create-namespace': { kind: 'namespace-create', target: undefined, flags: ['region', ...NAMESPACE_FLAGS] },
  'reconfigure-namespace': { kind: 'namespace-reconfigure', target: 'namespaceX.Y', flags: NAMESPACE_FLAGS },
  'destroy-namespace': { kind: 'namespace-destroy', target: 'namespaceX.Y', flags: [] },
  'reconfigure-device': { kind: 'daxdev-reconfigure', target: 'daxX.Y', flags: ['mode', 'no-online', 'no-movable'] },
  'online-memory': { kind: 'daxdev-online', target: 'daxX.Y', flags: ['no-movable'] },
  'offline-memory': { kind: 'daxdev-offline', target: 'daxX.Y', flags: [] },
  policy: { kind: 'fs-dax-policy', target: 'PATH', flags: ['dax', 'existing'] },
} as const satisfies Record<string, { kind: DaxChangeRequest['kind']; target: string | undefined; flags: readonly Flag[] }>;
type ChangeWord = keyof typeof CHANGES;

const NAMESPACE_MODES = ['raw', 'sector', 'fsdax', 'devdax'] as const satisfies readonly NamespaceTargetMode[];
const STATUSES = ['planned', 'refused', 'expired', 'executing', 'verified', 'failed', 'interrupted'] as const satisfies readonly DaxChangeStatus[];
const NAMES = {
  region: { pattern: /^region[0-9]{1,6}$/, what: 'regionN (e.g. region0)' },
  namespace: { pattern: /^namespace[0-9]{1,6}\.[0-9]{1,6}$/, what: 'namespaceX.Y (e.g. namespace0.0)' },
  device: { pattern: /^dax[0-9]{1,6}\.[0-9]{1,6}$/, what: 'daxX.Y (e.g. dax0.0)' },
} as const;

interface Context { client: HubClient; json: boolean }

/** Runs `daxfleet dax ARGS`; resolves to the exit code. Throws UsageError (exit 2) or Error (exit 1). */
export async function daxCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('dax needs a subcommand: plan, execute, show, list, inspect or capacity');
  if (sub === '-h' || sub === '--help') return help();
  const allowed = SUBCOMMAND_FLAGS[sub];
  if (allowed === undefined) throw new UsageError(`unknown dax subcommand "${sub}"`);
  const { values, positionals } = parse(rest);
  if (values.help) return help();
  rejectFlags(values, [...COMMON_FLAGS, ...allowed], `dax ${sub}`);
  const arity: Record<string, [number, string]> = {
    execute: [1, 'one CHANGE_ID'], show: [1, 'one CHANGE_ID'], list: [0, ''], capacity: [0, ''], inspect: [2, 'HOST_ID and PATH'],
  };
  const expected = arity[sub];
  if (expected !== undefined && positionals.length !== expected[0]) {
    throw new UsageError(expected[0] === 0 ? `dax ${sub} takes no argument "${positionals[0] ?? ''}"` : `dax ${sub} needs ${expected[1]}`);
  }
  // everything is checked before the token is looked for, so a typo is caught without one
  const id = positionals[0] ?? '';
  if (sub === 'plan') {
    const body: DaxChangeCreateBody = {
      request: planRequest(positionals, values),
      ...(values.ttl !== undefined ? { ttl_seconds: integer('ttl', values.ttl, 60, 3600) } : {}),
    };
    return planCommand(context(values), id, body);
  }
  if (sub === 'list') return listCommand(context(values), listQuery(values));
  if (sub === 'inspect') return inspectCommand(context(values), id, inspectQuery(positionals, values));
  if (sub === 'execute') return executeCommand(context(values), id, values.yes);
  if (sub === 'show') return showCommand(context(values), id);
  return capacityCommand(context(values));
}

function context(values: Values): Context {
  return { client: client(values), json: values.json };
}

function help(): number {
  process.stdout.write(DAX_USAGE);
  return EXIT.ok;
}

function parse(args: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    // parseArgs explains itself ("Unknown option '--nope'"); keep its first sentence on one line
    const first = (err as Error).message.split('\n')[0] ?? 'invalid arguments';
    throw new UsageError(first.replace(/\. To specify a positional.*$/, ''));
  }
}

/** a flag that was given (a string, or a boolean switched on) */
function given(values: Values, flag: Flag): boolean {
  const v = values[flag];
  return typeof v === 'string' || v === true;
}

function rejectFlags(values: Values, allowed: readonly Flag[], what: string): void {
  for (const flag of Object.keys(OPTIONS) as Flag[]) {
    if (given(values, flag) && !allowed.includes(flag)) throw new UsageError(`${what} does not take --${flag}`);
  }
}

function client(values: Values): HubClient {
  const hub = values.hub ?? (process.env['DAXFLEET_HUB'] || DEFAULT_HUB);
  if (!/^https?:\/\/[^/]/.test(hub) || !URL.canParse(hub)) {
    throw new UsageError(`--hub must be an http:// or https:// URL, not "${hub}"`);
  }
  const token = values.token ?? (process.env['DAXFLEET_TOKEN'] || undefined);
  if (token === undefined) {
    throw new UsageError('no API token: pass --token dxf_tok_… or set DAXFLEET_TOKEN (make one in the UI under ' +
      'Admin → API tokens, or POST /api/v1/tokens)', false);
  }
  return new HubClient(hub, token);
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
}

function size(flag: 'size' | 'align', value: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined || bytes < 1) {
    throw new UsageError(`--${flag} must be a size in bytes, or with ndctl's suffixes k, m, g, t (e.g. 4G, 2M, 512K), not "${value}"`);
  }
  return bytes;
}

function named(what: keyof typeof NAMES, value: string, where: string): string {
  if (!NAMES[what].pattern.test(value)) throw new UsageError(`${where} must be ${NAMES[what].what}, not "${value}"`);
  return value;
}

/** ndctl's namespace parameters from the flags (mode required) */
function namespaceParams(values: Values, change: string) {
  if (values.mode === undefined) throw new UsageError(`dax plan ${change} needs --mode (${NAMESPACE_MODES.join(', ')})`);
  return {
    mode: oneOf('mode', values.mode, NAMESPACE_MODES),
    ...(values.size !== undefined ? { size: size('size', values.size) } : {}),
    ...(values.align !== undefined ? { align: size('align', values.align) } : {}),
    ...(values.map !== undefined ? { map: oneOf('map', values.map, ['mem', 'dev'] as const) } : {}),
    ...(values['sector-size'] !== undefined ? { sector_size: integer('sector-size', values['sector-size'], 512, 65536) } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
  };
}

/** The request `daxfleet dax plan ARGS` sends (ARGS: HOST_ID CHANGE [TARGET] [flags]); UsageError when they are wrong. */
export function planRequestOf(args: string[]): DaxChangeRequest {
  const { values, positionals } = parse(args);
  return planRequest(positionals, values);
}

/** `dax plan HOST CHANGE [TARGET]` and its flags as the request the hub takes; the schema's rules checked here too */
function planRequest(positionals: string[], values: Values): DaxChangeRequest {
  const [host, word, target, extra] = positionals;
  const words = Object.keys(CHANGES).join(', ');
  if (host === undefined) throw new UsageError(`dax plan needs HOST_ID and a change (${words})`);
  if (word === undefined) throw new UsageError(`dax plan ${host} needs a change: ${words}`);
  if (!(word in CHANGES)) throw new UsageError(`unknown change "${word}": one of ${words}`);
  const change = CHANGES[word as ChangeWord];
  if (change.target === undefined && target !== undefined) throw new UsageError(`dax plan ${word} takes no argument "${target}" (the region is --region)`);
  if (change.target !== undefined && target === undefined) throw new UsageError(`dax plan ${word} needs ${change.target}`);
  if (extra !== undefined) throw new UsageError(`dax plan ${word} takes one ${change.target ?? 'argument'}, not also "${extra}"`);
  rejectFlags(values, [...COMMON_FLAGS, 'ttl', ...change.flags], `dax plan ${word}`);
  const t = target ?? '';
  switch (change.kind) {
    case 'namespace-create': {
      if (values.region === undefined) throw new UsageError('dax plan create-namespace needs --region regionN');
      return { kind: change.kind, region: named('region', values.region, '--region'), ...namespaceParams(values, word) };
    }
    case 'namespace-reconfigure':
      return { kind: change.kind, namespace: named('namespace', t, 'the namespace'), ...namespaceParams(values, word) };
    case 'namespace-destroy':
      return { kind: change.kind, namespace: named('namespace', t, 'the namespace') };
    case 'daxdev-reconfigure': {
      if (values.mode === undefined) throw new UsageError('dax plan reconfigure-device needs --mode (system-ram, devdax)');
      const mode = oneOf('mode', values.mode, ['system-ram', 'devdax'] as const);
      if (mode === 'devdax' && (values['no-online'] || values['no-movable'])) {
        throw new UsageError(`--${values['no-online'] ? 'no-online' : 'no-movable'} goes only with --mode system-ram`);
      }
      return {
        kind: change.kind, device: named('device', t, 'the device'), mode,
        ...(values['no-online'] ? { online: false } : {}), ...(values['no-movable'] ? { movable: false } : {}),
      };
    }
    case 'daxdev-online':
      return { kind: change.kind, device: named('device', t, 'the device'), ...(values['no-movable'] ? { movable: false } : {}) };
    case 'daxdev-offline':
      return { kind: change.kind, device: named('device', t, 'the device') };
    case 'fs-dax-policy': {
      if (!t.startsWith('/') || t.length > 1024) throw new UsageError(`dax plan policy: PATH must be an absolute path on the host, not "${t}"`);
      if (values.dax === undefined) throw new UsageError('dax plan policy needs --dax on|off');
      const dax = oneOf('dax', values.dax, ['on', 'off'] as const) === 'on';
      const existing = values.existing !== undefined ? oneOf('existing', values.existing, ['none', 'directories', 'all'] as const) : undefined;
      return { kind: change.kind, path: t, dax, ...(existing !== undefined ? { existing } : {}) };
    }
  }
}

function listQuery(values: Values): string {
  const query = new URLSearchParams();
  if (values.host !== undefined) query.set('host', values.host);
  if (values.status !== undefined) query.set('status', oneOf('status', values.status, STATUSES));
  if (values.kind !== undefined) query.set('kind', oneOf('kind', values.kind, DAX_CHANGE_KINDS));
  if (values.limit !== undefined) query.set('limit', String(integer('limit', values.limit, 1, 500)));
  if (values.before !== undefined) query.set('before', values.before);
  return query.toString();
}

function inspectQuery(positionals: string[], values: Values): string {
  const path = positionals[1] ?? '';
  if (!path.startsWith('/') || path.length > 1024) throw new UsageError(`dax inspect: PATH must be an absolute path on the host, not "${path}"`);
  const query = new URLSearchParams({ path });
  if (values.recursive) query.set('recursive', 'true');
  if (values.audit) query.set('mismatches_only', 'true');
  if (values.limit !== undefined) query.set('limit', String(integer('limit', values.limit, 1, 10000)));
  return query.toString();
}

const hostPath = (host: string): string => `/hosts/${encodeURIComponent(host)}`;
const changePath = (id: string): string => `/dax/changes/${encodeURIComponent(id)}`;

function print(ctx: Context, json: unknown, text: () => string): void {
  process.stdout.write(ctx.json ? `${JSON.stringify(json, null, 2)}\n` : text());
}

async function planCommand(ctx: Context, host: string, body: DaxChangeCreateBody): Promise<number> {
  const change = await ctx.client.request<DaxChange>('POST', `${hostPath(host)}/dax/changes`, body, PLAN_TIMEOUT_MS);
  print(ctx, change, () => formatChange(change, new Date()));
  return change.status === 'planned' && change.plan.executable ? EXIT.ok : EXIT.refused;
}

function exitFor(status: DaxChangeStatus): number {
  if (status === 'verified') return EXIT.ok;
  if (status === 'refused' || status === 'expired' || status === 'planned') return EXIT.refused;
  return EXIT.executionFailed;
}

/** how to plan the same change again (after a refusal because the host changed, or an expiry) */
function planAgain(change: DaxChange): string {
  return `plan again: daxfleet dax plan ${commandLine([change.host_id, ...requestArgs(change.plan.request)])}`;
}

async function executeCommand(ctx: Context, id: string, yes: boolean): Promise<number> {
  const change = await ctx.client.request<DaxChange>('GET', changePath(id));
  // a change that cannot run is not worth a confirmation: the hub's answer below says why it refuses
  if (change.status === 'planned' && change.plan.executable && !yes) {
    const shown = [`change ${change.id}: ${commandLine(requestArgs(change.plan.request))} on host ${change.host_id}`, ...dataLossLines(change)];
    const total = change.plan.changes_total ?? change.plan.changes?.length;
    if (total !== undefined) shown.push(`flags to change: ${total}`);
    process.stderr.write(`${shown.join('\n')}\n`);
    const typed = await askLine('type the change id to confirm: ');
    if (typed?.trim() !== change.id) {
      process.stderr.write(`daxfleet: not confirmed${typed === undefined ? '' : ` ("${typed.trim()}" is not the change id)`}: nothing was executed\n`);
      return EXIT.failed;
    }
  }
  let done: DaxChange;
  try {
    done = await ctx.client.request<DaxChange>('POST', `${changePath(id)}/execute`, { digest: change.plan.digest }, EXECUTE_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof HubUnreachableError && err.timedOut) {
      // the hub may have sent the change to the agent: it is not safe to say nothing ran
      throw new Error(`no answer from the hub within ${EXECUTE_TIMEOUT_MS / 1000} s: change ${id} may have run; ` +
        `look with \`daxfleet dax show ${id}\``);
    }
    if (err instanceof HubError && err.status === 409) {
      process.stderr.write(`daxfleet: ${err.message}\n`);
      const now = await ctx.client.request<DaxChange>('GET', changePath(id)).catch(() => undefined);
      if (now !== undefined && (now.status === 'refused' || now.status === 'expired')) process.stderr.write(`${planAgain(now)}\n`);
      return EXIT.refused;
    }
    throw err;
  }
  print(ctx, done, () => executionText(done));
  if (!ctx.json && (done.status === 'refused' || done.status === 'expired')) process.stderr.write(`${planAgain(done)}\n`);
  return exitFor(done.status);
}

function executionText(c: DaxChange): string {
  const lines = [`change ${c.id}: ${c.status}`];
  if (c.result !== undefined) lines.push(...formatResult(c.result));
  else if (c.status === 'refused') lines.push(`REFUSED: ${c.plan.refusal ?? 'the host changed since the plan'}`);
  return `${lines.join('\n')}\n`;
}

async function showCommand(ctx: Context, id: string): Promise<number> {
  const change = await ctx.client.request<DaxChange>('GET', changePath(id));
  print(ctx, change, () => formatChange(change, new Date()));
  return EXIT.ok;
}

async function listCommand(ctx: Context, query: string): Promise<number> {
  const list = await ctx.client.request<DaxChangeList>('GET', `/dax/changes${query !== '' ? `?${query}` : ''}`);
  print(ctx, list, () => formatChangeList(list.changes) + (list.next_before !== undefined ? `${olderPage(query, list.next_before)}\n` : ''));
  return EXIT.ok;
}

/** the command that lists the next (older) page with the same filters */
function olderPage(query: string, before: string): string {
  const words = ['dax', 'list'];
  for (const [key, value] of new URLSearchParams(query)) if (key !== 'before') words.push(`--${key}`, value);
  return `older changes: daxfleet ${commandLine([...words, '--before', before])}`;
}

async function inspectCommand(ctx: Context, host: string, query: string): Promise<number> {
  const result = await ctx.client.request<FsDaxInspectResult>('GET', `${hostPath(host)}/fs-dax?${query}`, undefined, INSPECT_TIMEOUT_MS);
  // the agent could not look at the path at all (gone, not on a DAX-capable filesystem): an error, exit 1
  if (result.error !== undefined && result.entries.length === 0) {
    if (ctx.json) print(ctx, result, () => '');
    else process.stderr.write(`daxfleet: ${result.error}\n`);
    return EXIT.failed;
  }
  print(ctx, result, () => formatInspection(result));
  return EXIT.ok;
}

async function capacityCommand(ctx: Context): Promise<number> {
  const capacity = await ctx.client.request<FleetCapacity>('GET', '/fleet/capacity');
  print(ctx, capacity, () => formatCapacity(capacity));
  return EXIT.ok;
}

/** One line from stdin (the terminal, or a pipe); undefined when stdin ends first. */
function askLine(prompt: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    rl.question(prompt, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    rl.on('close', () => {
      if (!answered) resolve(undefined);
    });
  });
}
