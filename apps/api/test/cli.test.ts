/** The built `daxfleet` command as a user runs it: exit codes, one-line errors, output on recorded kernels. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { InventorySchema } from '@daxfleet/shared';
import { CLI, FIXTURES_DIR, REPO_ROOT, tempDir } from './helpers.js';

function daxfleet(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fixtures = readdirSync(FIXTURES_DIR).filter((n) => existsSync(path.join(FIXTURES_DIR, n, 'ndctl.json')));
const daxctlFixtures = fixtures.filter((n) => existsSync(path.join(FIXTURES_DIR, n, 'daxctl.json')));

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
/** This machine's /sys has no NVDIMM bus and no dax device (ndctl and daxctl would list nothing). */
const hostHasNoPmem =
  !names('/sys/bus/nd/devices').some((n) => /^ndbus\d+$/.test(n)) &&
  !names('/sys/class/nd').some((n) => /^ndctl\d+$/.test(n)) &&
  !names('/sys/bus/dax/devices').some((n) => /^dax\d+\.\d+$/.test(n));

describe('daxfleet CLI', () => {
  it('a missing --sysfs-root: one line naming the path, exit 2', () => {
    const r = daxfleet('inventory', '--sysfs-root', '/nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('daxfleet: cannot read sysfs root /nope: no such directory\n');
    expect(r.stdout).toBe('');
  });

  it('a --sysfs-root that is a file: one line, exit 2', () => {
    const r = daxfleet('inventory', '--sysfs-root', path.join(REPO_ROOT, 'package.json'));
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot read sysfs root ${path.join(REPO_ROOT, 'package.json')}`);
  });

  it('serve with a missing --sysfs-root fails the same way instead of starting', () => {
    const r = daxfleet('serve', '--role', 'agent', '--hub-url', 'http://127.0.0.1:9', '--sysfs-root', '/nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('daxfleet: cannot read sysfs root /nope: no such directory\n');
  });

  it.each([
    [['bogus'], 'daxfleet: unknown command "bogus"'],
    [['inventory', '--nope'], "daxfleet: Unknown option '--nope'"],
    [['inventory', '--format', 'xml'], 'daxfleet: --format must be one of json, ndctl, daxctl, not "xml"'],
    [['serve', '--role', 'king'], 'daxfleet: --role must be one of all, hub, agent, not "king"'],
    [['serve', '--role', 'agent'], 'daxfleet: --role agent needs --hub-url (the hub to report to)'],
    [['serve', '--port', 'http'], 'daxfleet: --port must be an integer from 0 to 65535, not "http"'],
    [[], 'daxfleet: no command given'],
    [['serve', '--host-id', 'a b'], 'daxfleet: --host-id must be 1-128 of A-Z a-z 0-9 . _ : -, not "a b"'],
    [['serve', 'extra'], "daxfleet: Unexpected argument 'extra'. This command does not take positional arguments"],
    [['serve', '--tls-cert', 'cert.pem'], 'daxfleet: --tls-cert and --tls-key go together'],
    [['serve', '--role', 'agent', '--hub-url', 'http://h', '--advertise-url', 'h:7300'],
      'daxfleet: --advertise-url must be an http:// or https:// URL, not "h:7300"'],
    [['agent'], 'daxfleet: agent needs a subcommand: rotate-credential'],
    [['agent', 'enroll'], 'daxfleet: unknown agent subcommand "enroll"'],
    [['agent', 'rotate-credential', '--nope'], "daxfleet: Unknown option '--nope'"],
  ])('usage error %j: one line, the usage, exit 2', (args, line) => {
    const r = daxfleet(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(line);
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('usage: daxfleet <command> [options]');
  });

  it('--version prints the package version', () => {
    const r = daxfleet('--version');
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'apps/api/package.json'), 'utf8')) as { version: string };
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('--help prints the usage with every serve flag, exit 0', () => {
    const r = daxfleet('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--role', '--host', '--port', '--data-dir', '--hub-url', '--sysfs-root', '--hostname', '--host-id',
      '--interval', '--format', '--join-token', 'DAXFLEET_JOIN_TOKEN', '--advertise-url', '--tls-cert', '--tls-key',
      'agent rotate-credential']) {
      expect(r.stdout).toContain(flag);
    }
    expect(daxfleet('serve', '--help').status).toBe(0);
  });

  it.each(fixtures)('inventory --format ndctl on recorded kernel %s equals its ndctl.json', (name) => {
    const r = daxfleet('inventory', '--sysfs-root', path.join(FIXTURES_DIR, name, 'sys'), '--format', 'ndctl');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(FIXTURES_DIR, name, 'ndctl.json'), 'utf8'));
  });

  it.each(fixtures)('inventory (json) on recorded kernel %s is a valid Inventory', (name) => {
    const r = daxfleet('inventory', '--sysfs-root', path.join(FIXTURES_DIR, name, 'sys'));
    expect(r.status).toBe(0);
    const inv = JSON.parse(r.stdout) as unknown;
    expect(Value.Check(InventorySchema, inv)).toBe(true);
    expect((inv as { buses: unknown[] }).buses.length).toBeGreaterThan(0);
  });

  it.each(daxctlFixtures)('inventory --format daxctl on recorded kernel %s equals its daxctl.json', (name) => {
    const r = daxfleet('inventory', '--sysfs-root', path.join(FIXTURES_DIR, name, 'sys'), '--format', 'daxctl');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(FIXTURES_DIR, name, 'daxctl.json'), 'utf8'));
  });

  it('--help documents --format daxctl', () => {
    const r = daxfleet('inventory', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--format json|ndctl|daxctl');
    expect(r.stdout).toContain('daxctl list -DRM');
  });

  describe('a sysfs without NVDIMMs', () => {
    // the reader needs only a readable directory; bus/ and devices/system/ as on a machine without nd/dax
    const tmp = tempDir('daxfleet-cli-empty-sys-');
    const root = path.join(tmp.dir, 'sys');
    mkdirSync(path.join(root, 'bus'), { recursive: true });
    mkdirSync(path.join(root, 'devices/system'), { recursive: true });
    afterAll(() => tmp.remove());

    it.each(['ndctl', 'daxctl'])('--format %s prints nothing at all, exit 0 (as ndctl/daxctl 76.1)', (format) => {
      const r = daxfleet('inventory', '--sysfs-root', root, '--format', format);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
    });

    it('--format json is an empty inventory ending in a newline', () => {
      const r = daxfleet('inventory', '--sysfs-root', root);
      expect(r.status).toBe(0);
      expect(r.stdout.endsWith('}\n')).toBe(true);
      const inv = JSON.parse(r.stdout) as { buses: unknown[]; dax_regions: unknown[]; sysfs_root: string };
      expect(Value.Check(InventorySchema, inv)).toBe(true);
      expect(inv.buses).toEqual([]);
      expect(inv.dax_regions).toEqual([]);
      expect(inv.sysfs_root).toBe(root);
    });

    it.runIf(hostHasNoPmem).each(['ndctl', 'daxctl'])("this host's /sys (no NVDIMMs here): --format %s prints nothing, exit 0", (format) => {
      const r = daxfleet('inventory', '--format', format);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
    });
  });

  it('--sysfs-root /sys/ is the live /sys: same health source as /sys', () => {
    const plain = daxfleet('inventory', '--sysfs-root', '/sys');
    const slash = daxfleet('inventory', '--sysfs-root', '/sys/');
    expect(plain.status).toBe(0);
    expect(slash.status).toBe(0);
    const a = JSON.parse(plain.stdout) as { sysfs_root: string; health_source: string };
    const b = JSON.parse(slash.stdout) as { sysfs_root: string; health_source: string };
    expect(b.sysfs_root).toBe('/sys');
    expect(b.health_source).toBe(a.health_source);
  });

  it('a --sysfs-root that is a symlink loop (ELOOP): one line naming the path and the errno text, exit 2', () => {
    const tmp = tempDir('daxfleet-cli-loop-');
    try {
      const loop = path.join(tmp.dir, 'loop');
      symlinkSync('loop', loop);
      const r = daxfleet('inventory', '--sysfs-root', loop);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`daxfleet: cannot read sysfs root ${loop}: too many symbolic links encountered (ELOOP)\n`);
      const s = daxfleet('serve', '--role', 'agent', '--hub-url', 'http://127.0.0.1:9', '--sysfs-root', loop);
      expect(s.status).toBe(2);
      expect(s.stderr).toBe(r.stderr);
    } finally {
      tmp.remove();
    }
  });

  describe('agent enrollment on the command line', () => {
    const tmp = tempDir('daxfleet-cli-agent-');
    afterAll(() => tmp.remove());
    const sys = path.join(FIXTURES_DIR, 'two-dimm-all-modes', 'sys');
    const NOT_ENROLLED = 'daxfleet: not enrolled: ask an admin for a join token (UI: Agents, or POST ' +
      '/api/v1/agents/join-tokens) and pass --join-token\n';

    it('an agent with no credential and no join token: one line, exit 2, nothing written', () => {
      const dataDir = path.join(tmp.dir, 'never-enrolled');
      const r = daxfleet('serve', '--role', 'agent', '--hub-url', 'http://127.0.0.1:9', '--sysfs-root', sys,
        '--data-dir', dataDir, '--port', '0');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(NOT_ENROLLED);
      expect(r.stdout).toBe('');
      expect(existsSync(path.join(dataDir, 'agent-credential.json'))).toBe(false);
    });

    it('takes the join token from DAXFLEET_JOIN_TOKEN: it tries to enroll (here: no hub, exit 1)', () => {
      const r = spawnSync(process.execPath, [CLI, 'serve', '--role', 'agent', '--hub-url', 'http://127.0.0.1:2',
        '--sysfs-root', sys, '--data-dir', path.join(tmp.dir, 'env-token'), '--port', '0'],
      { encoding: 'utf8', cwd: REPO_ROOT, timeout: 30_000, env: { ...process.env, DAXFLEET_JOIN_TOKEN: 'dxf_join_from-env' } });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('daxfleet: cannot enroll with the hub at http://127.0.0.1:2: hub unreachable: ECONNREFUSED\n');
    });

    it('rotate-credential without a credential: the same line, exit 2', () => {
      const r = daxfleet('agent', 'rotate-credential', '--data-dir', path.join(tmp.dir, 'nothing'));
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(NOT_ENROLLED);
    });

    it('an unreadable --tls-cert: one line naming it, exit 2', () => {
      const r = daxfleet('serve', '--role', 'hub', '--tls-cert', '/nope/cert.pem', '--tls-key', '/nope/key.pem');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('daxfleet: cannot read --tls-cert /nope/cert.pem: no such file or directory (ENOENT)\n');
    });
  });

  it('runs from the repo root as `pnpm exec daxfleet`', () => {
    const r = spawnSync('pnpm', ['exec', 'daxfleet', 'inventory', '--sysfs-root', '/nope'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('daxfleet: cannot read sysfs root /nope: no such directory');
  });
});
