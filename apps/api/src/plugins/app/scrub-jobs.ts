/**
 * Runs the fleet scrub job runner on the hub (roles hub and all): started when the server is ready (routes and
 * database up), so a job that was running when the hub stopped carries on at once; stopped before the server
 * closes (preClose, while Prisma is still connected), after its pass in progress. Its state is in scrub_jobs only.
 * Settings come from the environment: DAXFLEET_SCRUB_HOST_TIMEOUT_S (default timeout per host when a job does not
 * give one, 6 h) and DAXFLEET_SCRUB_POLL_MS (how often running jobs are checked without a report, 5 s); tests and
 * the lab shorten them.
 */
import fp from 'fastify-plugin';
import { DEFAULT_HOST_TIMEOUT_S, DEFAULT_POLL_MS, ScrubJobRunner } from '../../services/scrub-jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    scrubJobs: { runner: ScrubJobRunner; defaultHostTimeoutS: number };
  }
}

function envInt(name: string, unit: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw}: expected a whole number of ${unit} >= 1`);
  return value;
}

export default fp(async (fastify) => {
  const runner = new ScrubJobRunner(fastify, { pollMs: envInt('DAXFLEET_SCRUB_POLL_MS', 'milliseconds') ?? DEFAULT_POLL_MS });
  fastify.decorate('scrubJobs', {
    runner,
    defaultHostTimeoutS: envInt('DAXFLEET_SCRUB_HOST_TIMEOUT_S', 'seconds') ?? DEFAULT_HOST_TIMEOUT_S,
  });
  fastify.addHook('onReady', async () => {
    runner.start();
  });
  fastify.addHook('preClose', async () => {
    await runner.stop();
  });
}, { name: 'scrub-jobs', dependencies: ['config', 'prisma', 'media-bus'] });
