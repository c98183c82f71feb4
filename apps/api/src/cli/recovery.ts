/**
 * `daxfleet recovery plan|execute|show|list`: a REST client of the hub's recovery plans. The hub and the host's
 * agent do the work (the agent plans on the host, the hub stores and audits); this prints what they answer.
 *
 * Exit codes: 0 done (plan: executable; execute: verified); 1 the hub failed or could not be reached, or the
 * confirmation was not given; 2 usage; 3 refused (plan: not executable; execute: the hub or the agent refused:
 * not executable, expired, already executed, digest mismatch, host changed, not started); 4 executed, but the range is still
 * listed bad (still-present); 5 execution failed or was interrupted.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  RECOVERY_FINAL_STATUSES, type LedgerPage, type RangeRef, type RecoveryAction, type RecoveryPlan, type RecoveryPlanList,
  type RecoveryRequest, type RecoveryStatus,
} from '@daxfleet/shared';
import { HubClient, HubError, HubUnreachableError } from './hub-client.js';
import { dataLossLines, formatPlan, formatPlanList, formatProgress, formatStep, formatVerification } from './recovery-format.js';
import { UsageError } from './usage-error.js';

export const RECOVERY_USAGE = `daxfleet recovery <plan|execute|show|list> [options]   (a client of the hub's REST API)
  --hub URL              the hub (default $DAXFLEET_HUB, else http://127.0.0.1:7300)
  --token TOKEN          an API token dxf_tok_… (default $DAXFLEET_TOKEN): viewer to show and list,
                         operator to plan and execute
  --json                 print the API's JSON instead of text

daxfleet recovery plan --host HOST_ID --action ACTION --range regionN+OFFSET[:LENGTH] [options]
                         the host's agent plans the action and changes nothing: prints the steps, the DATA
                         LOSS, every precondition and the plan id; exit 0 executable, 3 refused
  --action A             punch-hole | truncate | delete-restore | clear-errors | scrub-recheck
  --range R              the bad range: region, first sector and sector count (512 B sectors, region-relative,
                         as the media page and GET /api/v1/hosts/HOST_ID/ledger list them); without :LENGTH the
                         open range starting there is looked up in the host's ledger
  --path P               punch-hole, truncate, delete-restore: the file on the range
  --size N               truncate: the new size in bytes (default and most: the start of the block with the first bad byte)
  --backup P             delete-restore: the backup on the host to restore from
  --ttl S                how long the plan can be executed, 60-3600 seconds (default 600)

daxfleet recovery execute PLAN_ID [--yes]
                         shows the plan's data loss, asks you to type the plan id (unless --yes), runs it on
                         the host and follows its steps to the verification; exit 0 verified (range cleared),
                         3 refused, 4 still-present, 5 failed or interrupted
daxfleet recovery show PLAN_ID [--follow]   one plan, its execution and verification (--follow: until it ends,
                         exit codes as for execute)
daxfleet recovery list [--host HOST_ID] [--status S] [--limit N] [--before CURSOR]   newest first
  exit codes: 0 done, 1 the hub failed or was unreachable (or no confirmation), 2 usage, 3 refused (not
              executable, expired, already executed, digest mismatch, host changed, not started),
              4 still-present, 5 failed or interrupted
`;

const ACTIONS = ['punch-hole', 'truncate', 'delete-restore', 'clear-errors', 'scrub-recheck'] as const satisfies readonly RecoveryAction[];
const FILE_ACTIONS: readonly RecoveryAction[] = ['punch-hole', 'truncate', 'delete-restore'];
const STATUSES = ['planned', 'refused', 'expired', 'executing', 'verified', 'still-present', 'failed', 'interrupted'] as const satisfies readonly RecoveryStatus[];
/** the hub's 409s on execute: nothing ran */
const EXECUTE_REFUSALS = new Set(['DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED', 'DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE',
  'DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED', 'DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH', 'DAXFLEET_ERR_RECOVERY_HOST_CHANGED',
  'DAXFLEET_ERR_RECOVERY_NOT_STARTED']);

export const EXIT = { ok: 0, failed: 1, refused: 3, stillPresent: 4, executionFailed: 5 } as const;
/** the hub waits up to 60 s for the agent's answer to the execute command: wait longer than that for the hub */
const EXECUTE_TIMEOUT_MS = 90_000;
const DEFAULT_HUB = 'http://127.0.0.1:7300';
/** the hub waits for the agent's dry run (it maps the range to files), so a plan can take a while */
const PLAN_TIMEOUT_MS = 120_000;
const FOLLOW_INTERVAL_MS = 500;
/** while following, the hub may restart: keep asking this long before giving up (the recovery goes on) */
const FOLLOW_UNREACHABLE_MS = 60_000;

const OPTIONS = {
  hub: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  host: { type: 'string' },
  action: { type: 'string' },
  range: { type: 'string' },
  path: { type: 'string' },
  size: { type: 'string' },
  backup: { type: 'string' },
  ttl: { type: 'string' },
  yes: { type: 'boolean', short: 'y', default: false },
  follow: { type: 'boolean', default: false },
  status: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];
type Flag = keyof typeof OPTIONS;

/** which flags each subcommand takes besides --hub, --token, --json, --help */
const SUBCOMMAND_FLAGS: Record<string, readonly Flag[]> = {
  plan: ['host', 'action', 'range', 'path', 'size', 'backup', 'ttl'],
  execute: ['yes'],
  show: ['follow'],
  list: ['host', 'status', 'limit', 'before'],
};
const COMMON_FLAGS: readonly Flag[] = ['hub', 'token', 'json', 'help'];

interface Context { client: HubClient; json: boolean }

/** Runs `daxfleet recovery ARGS`; resolves to the exit code. Throws UsageError (exit 2) or Error (exit 1). */
export async function recoveryCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('recovery needs a subcommand: plan, execute, show or list');
  if (sub === '-h' || sub === '--help') return help();
  const allowed = SUBCOMMAND_FLAGS[sub];
  if (allowed === undefined) throw new UsageError(`unknown recovery subcommand "${sub}"`);
  const { values, positionals } = parse(rest);
  if (values.help) return help();
  for (const flag of Object.keys(values) as Flag[]) {
    if (values[flag] !== undefined && !COMMON_FLAGS.includes(flag) && !allowed.includes(flag)
      && OPTIONS[flag].type === 'string') {
      throw new UsageError(`recovery ${sub} does not take --${flag}`);
    }
  }
  if ((values.yes && sub !== 'execute') || (values.follow && sub !== 'show')) {
    throw new UsageError(`recovery ${sub} does not take --${values.yes ? 'yes' : 'follow'}`);
  }
  const takesId = sub === 'execute' || sub === 'show';
  if (takesId && positionals.length !== 1) throw new UsageError(`recovery ${sub} needs one PLAN_ID`);
  if (!takesId && positionals.length > 0) throw new UsageError(`recovery ${sub} takes no argument "${positionals[0]}"`);
  const ctx: Context = { client: client(values), json: values.json };
  const id = positionals[0] ?? '';
  switch (sub) {
    case 'plan': return planCommand(ctx, values);
    case 'execute': return executeCommand(ctx, id, values.yes);
    case 'show': return showCommand(ctx, id, values.follow);
    default: return listCommand(ctx, values);
  }
}

function help(): number {
  process.stdout.write(RECOVERY_USAGE);
  return EXIT.ok;
}

function parse(args: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
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

const RANGE = /^(region\d{1,6})\+(\d+|0x[0-9a-f]+)(?::(\d+|0x[0-9a-f]+))?$/i;

/** regionN+OFFSET[:LENGTH] (decimal or 0x hex sectors); length undefined when it is to be looked up */
export function parseRange(text: string): { region: string; region_offset: number; length?: number } {
  const m = RANGE.exec(text);
  const offset = m?.[2] !== undefined ? Number(m[2]) : NaN;
  const length = m?.[3] !== undefined ? Number(m[3]) : undefined;
  if (m?.[1] === undefined || !Number.isSafeInteger(offset) || (length !== undefined && (!Number.isSafeInteger(length) || length < 1))) {
    throw new UsageError(`--range must be regionN+OFFSET[:LENGTH] in 512 B sectors (e.g. region0+2048:8), not "${text}"`);
  }
  return { region: m[1].toLowerCase(), region_offset: offset, ...(length !== undefined ? { length } : {}) };
}

/** The request the flags describe; the rules the hub enforces too, checked here so a typo costs no round trip. */
function requestFrom(values: Values): { host: string; request: Omit<RecoveryRequest, 'range'>; range: ReturnType<typeof parseRange> } {
  if (values.host === undefined) throw new UsageError('recovery plan needs --host HOST_ID');
  if (values.action === undefined) throw new UsageError(`recovery plan needs --action (${ACTIONS.join(', ')})`);
  if (values.range === undefined) throw new UsageError('recovery plan needs --range regionN+OFFSET[:LENGTH]');
  const action = values.action as RecoveryAction;
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`--action must be one of ${ACTIONS.join(', ')}, not "${values.action}"`);
  }
  const range = parseRange(values.range);
  const isFileAction = FILE_ACTIONS.includes(action);
  if (isFileAction && values.path === undefined) throw new UsageError(`--action ${action} needs --path (the file on the range)`);
  if (!isFileAction && values.path !== undefined) throw new UsageError(`--action ${action} works on the device: drop --path`);
  if (action === 'delete-restore' && values.backup === undefined) throw new UsageError('--action delete-restore needs --backup (the file to restore from)');
  if (action !== 'delete-restore' && values.backup !== undefined) throw new UsageError('--backup goes only with --action delete-restore');
  if (action !== 'truncate' && values.size !== undefined) throw new UsageError('--size goes only with --action truncate');
  for (const [flag, p] of [['path', values.path], ['backup', values.backup]] as const) {
    if (p !== undefined && !p.startsWith('/')) throw new UsageError(`--${flag} must be an absolute path on the host, not "${p}"`);
  }
  return {
    host: values.host,
    range,
    request: {
      action,
      ...(values.path !== undefined ? { path: values.path } : {}),
      ...(values.size !== undefined ? { size: integer('size', values.size, 0, Number.MAX_SAFE_INTEGER) } : {}),
      ...(values.backup !== undefined ? { backup_path: values.backup } : {}),
      ...(values.ttl !== undefined ? { ttl_seconds: integer('ttl', values.ttl, 60, 3600) } : {}),
    },
  };
}

const hostPath = (host: string): string => `/hosts/${encodeURIComponent(host)}`;
const planPath = (id: string): string => `/recovery/plans/${encodeURIComponent(id)}`;

/** The open ledger range that starts at region+offset: its length, for a --range given without one. */
async function lookUpLength(ctx: Context, host: string, region: string, offset: number): Promise<number> {
  let cursor: string | undefined;
  const near: string[] = [];
  do {
    const page: LedgerPage = await ctx.client.request('GET',
      `${hostPath(host)}/ledger?state=open&limit=500${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const e of page.entries) {
      if (e.range.region !== region) continue;
      if (e.range.region_offset === offset) return e.range.length;
      if (e.range.region_offset < offset && offset < e.range.region_offset + e.range.length) {
        near.push(`${region}+${e.range.region_offset}:${e.range.length}`);
      }
    }
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  const hint = near.length > 0 ? `; ${region}+${offset} lies inside ${near.join(', ')}: pass that` : '';
  throw new UsageError(`host ${host} has no open bad range starting at ${region}+${offset} ` +
    `(its ledger: daxfleet media page, or GET /api/v1/hosts/${host}/ledger?state=open)${hint}`, false);
}

async function planCommand(ctx: Context, values: Values): Promise<number> {
  const { host, request, range } = requestFrom(values);
  const length = range.length ?? await lookUpLength(ctx, host, range.region, range.region_offset);
  const ref: RangeRef = { region: range.region, region_offset: range.region_offset, length };
  const plan = await ctx.client.request<RecoveryPlan>('POST', `${hostPath(host)}/recovery/plans`,
    { ...request, range: ref } satisfies RecoveryRequest, PLAN_TIMEOUT_MS);
  print(ctx, plan, () => formatPlan(plan, new Date()));
  return plan.plan.executable && plan.status === 'planned' ? EXIT.ok : EXIT.refused;
}

async function executeCommand(ctx: Context, id: string, yes: boolean): Promise<number> {
  const plan = await ctx.client.request<RecoveryPlan>('GET', planPath(id));
  // a plan that cannot run is not worth a confirmation: the hub's answer below says why it refuses
  if (plan.status === 'planned' && plan.plan.executable && !yes) {
    const shown = [`plan ${plan.id}: ${plan.action} on host ${plan.host_id}, range ${plan.plan.request.range.region}+` +
      `${plan.plan.request.range.region_offset}:${plan.plan.request.range.length}`, ...dataLossLines(plan)];
    process.stderr.write(`${shown.join('\n')}\n`);
    const typed = await askLine('type the plan id to confirm: ');
    if (typed?.trim() !== plan.id) {
      process.stderr.write(`daxfleet: not confirmed${typed === undefined ? '' : ` ("${typed.trim()}" is not the plan id)`}: nothing was executed\n`);
      return EXIT.failed;
    }
  }
  try {
    await ctx.client.request<RecoveryPlan>('POST', `${planPath(id)}/execute`, { digest: plan.plan.digest }, EXECUTE_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof HubUnreachableError && err.timedOut) {
      // the hub may have claimed the plan and sent it to the agent: it is not safe to say nothing ran
      throw new Error(`no answer from the hub within ${EXECUTE_TIMEOUT_MS / 1000} s: plan ${id} may be executing; ` +
        `show it with \`daxfleet recovery show ${id}\` (--follow to follow it)`);
    }
    if (err instanceof HubError && err.code !== undefined && EXECUTE_REFUSALS.has(err.code)) {
      process.stderr.write(`daxfleet: ${err.message}\n`);
      if (err.code === 'DAXFLEET_ERR_RECOVERY_HOST_CHANGED' || err.code === 'DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED') {
        process.stderr.write(`plan again: daxfleet recovery plan --host ${plan.host_id} --action ${plan.action} --range ` +
          `${plan.plan.request.range.region}+${plan.plan.request.range.region_offset}:${plan.plan.request.range.length} …\n`);
      }
      return EXIT.refused;
    }
    throw err;
  }
  if (!ctx.json) process.stdout.write(`executing plan ${id} on host ${plan.host_id}\n`);
  const final = await follow(ctx, id);
  print(ctx, final, () => resultText(final));
  return exitFor(final.status);
}

async function showCommand(ctx: Context, id: string, follows: boolean): Promise<number> {
  const plan = await ctx.client.request<RecoveryPlan>('GET', planPath(id));
  if (!follows || plan.status !== 'executing') {
    print(ctx, plan, () => formatPlan(plan, new Date()));
    // --follow answers for the outcome, also when the execution ended before it looked
    return follows && plan.status !== 'planned' ? exitFor(plan.status) : EXIT.ok;
  }
  const final = await follow(ctx, id);
  print(ctx, final, () => resultText(final));
  return exitFor(final.status);
}

async function listCommand(ctx: Context, values: Values): Promise<number> {
  const query = new URLSearchParams();
  if (values.host !== undefined) query.set('host', values.host);
  if (values.status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(values.status)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, not "${values.status}"`);
    }
    query.set('status', values.status);
  }
  if (values.limit !== undefined) query.set('limit', String(integer('limit', values.limit, 1, 500)));
  if (values.before !== undefined) query.set('before', values.before);
  const q = query.toString();
  const list = await ctx.client.request<RecoveryPlanList>('GET', `/recovery/plans${q !== '' ? `?${q}` : ''}`);
  print(ctx, list, () => formatPlanList(list.plans) +
    (list.next_before !== undefined ? `older plans: daxfleet recovery list --before ${list.next_before}\n` : ''));
  return EXIT.ok;
}

function print(ctx: Context, json: unknown, text: () => string): void {
  process.stdout.write(ctx.json ? `${JSON.stringify(json, null, 2)}\n` : text());
}

function exitFor(status: RecoveryStatus): number {
  if (status === 'verified') return EXIT.ok;
  if (status === 'still-present') return EXIT.stillPresent;
  if (status === 'refused' || status === 'expired') return EXIT.refused;
  return EXIT.executionFailed;
}

function resultText(p: RecoveryPlan): string {
  const e = p.execution;
  const lines = [`plan ${p.id}: ${p.status}`];
  if (e?.verification !== undefined) lines.push(...formatVerification(e.verification));
  if (e?.error !== undefined) lines.push(`error: ${e.error}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Polls the plan every 500 ms until it reaches a final status, printing each step as it finishes and each new
 * progress message. The recovery runs on the host whatever happens here, so an interrupt or a hub that stays
 * away says how to pick it up again.
 */
async function follow(ctx: Context, id: string): Promise<RecoveryPlan> {
  const printed = new Set<number>();
  let lastProgress = '';
  let unreachableSince: number | undefined;
  const onInterrupt = (): void => {
    process.stderr.write(`\ndaxfleet: stopped following; the recovery goes on on the host: daxfleet recovery show ${id} --follow\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (;;) {
      let plan: RecoveryPlan;
      try {
        plan = await ctx.client.request<RecoveryPlan>('GET', planPath(id));
        unreachableSince = undefined;
      } catch (err) {
        const transient = err instanceof HubUnreachableError || (err instanceof HubError && err.status >= 500);
        if (!transient) throw err;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > FOLLOW_UNREACHABLE_MS) {
          throw new Error(`${(err as Error).message}; the recovery goes on on the host: daxfleet recovery show ${id}`);
        }
        await sleep(FOLLOW_INTERVAL_MS);
        continue;
      }
      const e = plan.execution;
      const finished = (e?.steps ?? []).filter((s) => (s.status === 'done' || s.status === 'failed' || s.status === 'skipped') && !printed.has(s.n))
        .sort((a, b) => a.n - b.n);
      for (const s of finished) {
        printed.add(s.n);
        if (!ctx.json) process.stdout.write(`${formatStep(s)}\n`);
      }
      if (RECOVERY_FINAL_STATUSES.includes(plan.status)) return plan;
      const progress = e?.progress !== undefined ? formatProgress(e.progress) : '';
      if (progress !== '' && progress !== lastProgress && !ctx.json) process.stdout.write(`  ${progress}\n`);
      lastProgress = progress;
      await sleep(FOLLOW_INTERVAL_MS);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
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
