/**
 * At hub start with no users, creates the first admin (services/users.ts ensureFirstAdmin). A generated one-time
 * password is printed once on stdout, never through the logger (log files and collectors keep lines forever).
 */
import fp from 'fastify-plugin';
import { ensureFirstAdmin } from '../../services/users.js';

export interface FirstAdminOptions {
  /** where the one-time password line goes (default: stdout) */
  print?: (line: string) => void;
}

export default fp<FirstAdminOptions>(async (fastify, opts) => {
  const created = await ensureFirstAdmin(fastify.prisma);
  if (!created) return;
  if (created.oneTimePassword !== undefined) {
    const print = opts.print ?? ((line: string) => { process.stdout.write(`${line}\n`); });
    print(`daxfleet: created admin user "${created.username}" with one-time password: ${created.oneTimePassword} ` +
      '(change it at first login)');
  }
  fastify.log.info({ username: created.username, oneTimePassword: created.oneTimePassword !== undefined },
    'created the first admin user');
}, { name: 'first-admin', dependencies: ['prisma'] });
