/**
 * The recovery plans' sweep on the hub (roles hub and all): started when the server is ready, stopped before it
 * closes (preClose, while Prisma is still connected). Reads already show a planned plan past its expiry as expired;
 * the sweep writes it into the row, ends a plan left executing without any report from its agent (interrupted), and
 * tells the SSE streams. DAXFLEET_RECOVERY_SWEEP_MS sets its period (default 30 s); tests shorten it.
 */
import fp from 'fastify-plugin';
import { DEFAULT_SWEEP_MS, RecoveryPlanSweeper } from '../../services/recovery-plans.js';

function sweepMs(): number {
  const raw = process.env['DAXFLEET_RECOVERY_SWEEP_MS'];
  if (raw === undefined || raw === '') return DEFAULT_SWEEP_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`DAXFLEET_RECOVERY_SWEEP_MS=${raw}: expected a whole number of milliseconds >= 1`);
  }
  return value;
}

export default fp(async (fastify) => {
  const sweeper = new RecoveryPlanSweeper(fastify, sweepMs());
  fastify.addHook('onReady', async () => {
    sweeper.start();
  });
  fastify.addHook('preClose', async () => {
    await sweeper.stop();
  });
}, { name: 'recovery-plans', dependencies: ['config', 'prisma', 'media-bus'] });
