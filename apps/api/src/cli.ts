#!/usr/bin/env node
/**
 * The `daxfleet` command. Usage errors (unknown command or flag, bad value, unreadable --sysfs-root) print one
 * line and the usage on stderr and exit 2; other failures exit 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { scanInventory, stringifyNdctl, toDaxctlList, toNdctlList } from '@daxfleet/dax-native';
import { HOST_ID_PATTERN } from './agent/host-identity.js';
import { DAX_USAGE, daxCommand } from './cli/dax.js';
import { RECOVERY_USAGE, recoveryCommand } from './cli/recovery.js';
import { UsageError } from './cli/usage-error.js';
import { DATABASE_FILE, VERSION, type Role } from './config.js';

const USAGE = `usage: daxfleet <command> [options]

commands:
  serve       run the hub, an agent, or both (role all, the default)
  inventory   print this host's persistent-memory inventory
  agent rotate-credential
              replace this agent's credential (the old one stops working at once)
  admin reset-password
              give a hub user (default admin) a new one-time password, e.g. when the printed one was lost
  recovery plan|execute|show|list
              recover from media errors through the hub: plan an action (a dry run on the host), review its
              data loss, execute it and follow it to the verification
  dax plan|execute|show|list|inspect|capacity
              DAX modes through the hub: namespace and dax device modes, the filesystem DAX policy
              (FS_XFLAG_DAX), requested vs effective DAX of files, the fleet's capacity by mode

daxfleet serve [options]
  --role all|hub|agent   all: hub + local agent (default); hub: REST API and UI; agent: scan and report
  --host ADDR            listen address (default 127.0.0.1)
  --port N               listen port (default 7300; 0 picks a free one)
  --data-dir DIR         SQLite database and the agent's host id (default ./data)
  --hub-url URL          role agent: the hub to report to, e.g. http://10.0.0.5:7300
  --sysfs-root DIR       sysfs to scan (default /sys; a recorded tree makes a simulated host)
  --hostname NAME        name the agent reports (default: this machine's hostname)
  --host-id ID           stable host id (default: generated once, kept in DATA-DIR/host-id)
  --interval MS          scan and report interval in milliseconds (default 10000)
  --badblocks-poll-ms MS agent: re-read the badblocks attributes this often and report a change at
                         once (default 250; 0: bad blocks are found by the regular scans only)
  --log-level LEVEL      fatal|error|warn|info|debug|trace (default info)
  --join-token TOKEN     role agent, first start: the one-time dxf_join_… token an admin made (or env
                         DAXFLEET_JOIN_TOKEN); the credential is then kept in DATA-DIR/agent-credential.json
  --advertise-url URL    role agent: the URL the hub reaches this agent at for signed commands (default: the
                         listen URL)
  --tls-cert FILE        serve https with this PEM certificate (chain); needs --tls-key
  --tls-key FILE         the PEM private key of --tls-cert

daxfleet agent rotate-credential [options]
  --data-dir DIR         the agent's data folder (default ./data)

daxfleet admin reset-password [options]   (on the hub's machine: works on its database file directly)
  --data-dir DIR         the hub's data folder (default ./data)
  --username NAME        the user (default admin)

daxfleet inventory [options]
  --sysfs-root DIR       sysfs to scan (default /sys)
  --format json|ndctl|daxctl
                         json: the daxfleet inventory (default); ndctl: what \`ndctl list -BDRNMX -v\` prints;
                         daxctl: what \`daxctl list -DRM\` prints (ndctl and daxctl print nothing when there is
                         nothing to list)

${RECOVERY_USAGE}
${DAX_USAGE}
  -h, --help             this help
  --version              print the version
`;


const SERVE_OPTIONS = {
  role: { type: 'string', default: 'all' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '7300' },
  'data-dir': { type: 'string', default: './data' },
  'hub-url': { type: 'string' },
  'sysfs-root': { type: 'string', default: '/sys' },
  hostname: { type: 'string' },
  'host-id': { type: 'string' },
  interval: { type: 'string', default: '10000' },
  'badblocks-poll-ms': { type: 'string', default: '250' },
  'log-level': { type: 'string', default: 'info' },
  'join-token': { type: 'string' },
  'advertise-url': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const AGENT_OPTIONS = {
  'data-dir': { type: 'string', default: './data' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const ADMIN_OPTIONS = {
  'data-dir': { type: 'string', default: './data' },
  username: { type: 'string', default: 'admin' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const INVENTORY_OPTIONS = {
  'sysfs-root': { type: 'string', default: '/sys' },
  format: { type: 'string', default: 'json' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // parseArgs explains itself ("Unknown option '--nope'"); keep its first sentence on one line
    const first = (err as Error).message.split('\n')[0] ?? 'invalid arguments';
    throw new UsageError(first.replace(/\. To specify a positional.*$/, ''));
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

const ROOT_ERRORS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The libuv text of a Node system error ("ELOOP: too many symbolic links encountered, stat '/x'"). */
function errnoText(e: { code?: string; message?: string }): string {
  const match = /^[A-Z0-9_]+: (.+?), [a-z_]+(?: '.*')?$/s.exec(e.message ?? '');
  const text = match?.[1];
  return text !== undefined && text !== '' ? `${text} (${e.code ?? 'error'})` : e.code ?? e.message ?? 'unreadable';
}

/**
 * scanInventory rejects with code + path when the root itself cannot be read: a usage error. That is
 * any system error whose path is the root (ELOOP, EIO, ... too), not only the four it names itself.
 */
function rootError(err: unknown, sysfsRoot: string): UsageError | undefined {
  const e = err as { code?: string; path?: string; message?: string };
  if (typeof e?.code !== 'string') return undefined;
  const known = ROOT_ERRORS[e.code];
  const onRoot = e.path !== undefined && (e.path === sysfsRoot || resolve(e.path) === resolve(sysfsRoot));
  if (known !== undefined) return new UsageError(`cannot read sysfs root ${e.path ?? sysfsRoot}: ${known}`, false);
  if (!onRoot) return undefined;
  return new UsageError(`cannot read sysfs root ${e.path}: ${errnoText(e)}`, false);
}

async function inventoryCommand(args: string[]): Promise<void> {
  const values = parse(args, INVENTORY_OPTIONS);
  if (values.help) return void process.stdout.write(USAGE);
  const format = oneOf('format', values.format, ['json', 'ndctl', 'daxctl'] as const);
  const sysfsRoot = values['sysfs-root'];
  let inventory;
  try {
    // health left to scanInventory: it asks libndctl only when the *resolved* root is /sys ("/sys/" too)
    inventory = await scanInventory({ sysfsRoot });
  } catch (err) {
    throw rootError(err, sysfsRoot) ?? err;
  }
  // ndctl and daxctl print nothing at all (not even a newline) when there is nothing to list
  const out =
    format === 'ndctl' ? stringifyNdctl(toNdctlList(inventory))
    : format === 'daxctl' ? stringifyNdctl(toDaxctlList(inventory, { mappings: true }))
    : `${JSON.stringify(inventory, null, 2)}\n`;
  if (out !== '') process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
}

async function serveCommand(args: string[]): Promise<void> {
  const values = parse(args, SERVE_OPTIONS);
  if (values.help) return void process.stdout.write(USAGE);
  const role = oneOf<Role>('role', values.role, ['all', 'hub', 'agent']);
  const hubUrl = values['hub-url'];
  if (role === 'agent' && !hubUrl) throw new UsageError('--role agent needs --hub-url (the hub to report to)');
  if (hubUrl !== undefined && !URL.canParse(hubUrl)) throw new UsageError(`--hub-url is not a URL: "${hubUrl}"`);
  const hostId = values['host-id'];
  if (hostId !== undefined && !HOST_ID_PATTERN.test(hostId)) {
    throw new UsageError(`--host-id must be 1-128 of A-Z a-z 0-9 . _ : -, not "${hostId}"`);
  }
  const logLevel = oneOf('log-level', values['log-level'], ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const);
  const advertiseUrl = values['advertise-url'];
  if (advertiseUrl !== undefined && !/^https?:\/\//.test(advertiseUrl)) {
    throw new UsageError(`--advertise-url must be an http:// or https:// URL, not "${advertiseUrl}"`);
  }
  const joinToken = values['join-token'] ?? (process.env.DAXFLEET_JOIN_TOKEN || undefined);
  const tls = readTls(values['tls-cert'], values['tls-key']);
  const sysfsRoot = values['sysfs-root'];
  // loaded here, not at the top: Fastify, Prisma and the routes cost seconds under the lab's emulated CPU, and
  // `daxfleet inventory` needs none of them
  const { closeOnSignals, defaultHostname, serve } = await import('./serve.js');
  const { NotEnrolledError } = await import('./agent/enrollment.js');
  if (role !== 'hub') {
    // fail at once on a root that cannot be read, instead of logging a failed scan every interval
    try {
      await scanInventory({ sysfsRoot, health: false });
    } catch (err) {
      const usage = rootError(err, sysfsRoot);
      if (usage) throw usage;
    }
  }
  let running: Awaited<ReturnType<typeof serve>>;
  try {
    running = await serve({
      role,
      host: values.host,
      port: integer('port', values.port, 0, 65535),
      dataDir: values['data-dir'],
      ...(hubUrl !== undefined ? { hubUrl } : {}),
      sysfsRoot,
      hostname: values.hostname ?? defaultHostname(),
      ...(hostId !== undefined ? { hostId } : {}),
      intervalMs: integer('interval', values.interval, 100, 86_400_000),
      badblocksPollMs: integer('badblocks-poll-ms', values['badblocks-poll-ms'], 0, 3_600_000),
      logLevel,
      ...(joinToken !== undefined ? { joinToken } : {}),
      ...(advertiseUrl !== undefined ? { advertiseUrl } : {}),
      ...(tls ? { tls } : {}),
      onAgentRevoked: () => {
        // role agent: nothing left to do (the agent logged why); role all keeps serving the hub
        if (role !== 'agent') return;
        process.exitCode = 1;
        void running.close().finally(() => process.exit(1));
      },
    });
  } catch (err) {
    if (err instanceof NotEnrolledError) throw new UsageError(err.message, false);
    throw err;
  }
  closeOnSignals(running);
  process.stdout.write(`daxfleet listening on ${running.url}\n`);
}

function readTls(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`cannot read --${flag} ${file}: ${errnoText(err as Error)}`, false);
    }
  };
  return { cert: read('tls-cert', certFile), key: read('tls-key', keyFile) };
}

/**
 * `daxfleet GROUP SUBCOMMAND [options]` for a group with one subcommand: its parsed options, or undefined once the
 * usage was printed for -h/--help.
 */
function parseSubcommand<O extends NonNullable<ParseArgsConfig['options']>>(
  group: string, only: string, args: string[], options: O,
): ReturnType<typeof parse<O>> | undefined {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help') return void process.stdout.write(USAGE);
  if (sub !== only) throw new UsageError(sub === undefined ? `${group} needs a subcommand: ${only}` : `unknown ${group} subcommand "${sub}"`);
  const values = parse(rest, options);
  // every subcommand's options include --help (a generic O cannot promise it to the compiler)
  if ((values as { help?: boolean }).help) return void process.stdout.write(USAGE);
  return values;
}

async function agentCommand(args: string[]): Promise<void> {
  const values = parseSubcommand('agent', 'rotate-credential', args, AGENT_OPTIONS);
  if (!values) return;
  const { NotEnrolledError, rotateCredential } = await import('./agent/enrollment.js');
  try {
    const credential = await rotateCredential(resolve(values['data-dir']));
    process.stdout.write(`daxfleet: host ${credential.host_id} has a new credential; the old one no longer works\n`);
  } catch (err) {
    if (err instanceof NotEnrolledError) throw new UsageError(err.message, false);
    throw new Error(`rotating the credential failed: ${(err as Error).message}`);
  }
}

/**
 * `daxfleet admin reset-password`: the way back in when the first admin's one-time password was lost. It works on
 * the hub's database file directly, so it needs what an admin of the machine has: access to the data folder.
 */
async function adminCommand(args: string[]): Promise<void> {
  const values = parseSubcommand('admin', 'reset-password', args, ADMIN_OPTIONS);
  if (!values) return;
  const databaseFile = resolve(values['data-dir'], DATABASE_FILE);
  if (!existsSync(databaseFile)) {
    throw new UsageError(`no hub database at ${databaseFile}: pass the hub's --data-dir`, false);
  }
  const [{ applyMigrations }, { connectPrisma }, { resetPasswordLocally }, { recordAudit }, { DEFAULT_MIGRATIONS_DIR }] = await Promise.all([
    import('./db/migrate.js'), import('./db/client.js'), import('./services/users.js'), import('./services/audit.js'), import('./config.js'),
  ]);
  applyMigrations(databaseFile, DEFAULT_MIGRATIONS_DIR);
  const prisma = await connectPrisma(databaseFile);
  try {
    const password = await resetPasswordLocally(prisma, values.username);
    if (password === undefined) throw new UsageError(`no user "${values.username}" in ${databaseFile}`, false);
    await recordAudit(prisma, {
      actor_kind: 'system', actor: userInfo().username, source_ip: 'local', action: 'user.password.reset-local',
      target: values.username, result: 'success', status_code: 200, detail: 'daxfleet admin reset-password',
    });
    process.stdout.write(`daxfleet: user "${values.username}" has a new one-time password: ${password} ` +
      '(change it at the next login; their sessions were ended)\n');
  } finally {
    await prisma.$disconnect();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': return serveCommand(rest);
    case 'agent': return agentCommand(rest);
    case 'admin': return adminCommand(rest);
    case 'inventory': return inventoryCommand(rest);
    case 'recovery':
      process.exitCode = await recoveryCommand(rest);
      return;
    case 'dax':
      process.exitCode = await daxCommand(rest);
      return;
    case '-h': case '--help': case 'help':
      process.stdout.write(USAGE);
      return;
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return;
    case undefined: throw new UsageError('no command given');
    default: throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(err.withUsage ? `daxfleet: ${err.message}\n\n${USAGE}` : `daxfleet: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`daxfleet: ${(err as Error).message ?? String(err)}\n`);
  process.exitCode = 1;
});
