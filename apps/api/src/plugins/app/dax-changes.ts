/**
 * The DAX changes' sweep on the hub (roles hub and all): started when the server is ready, stopped before it closes
 * (preClose, while Prisma is still connected). Reads already show a planned change past its expiry as expired; the
 * sweep writes it into the row, ends a change left executing by a hub that stopped mid-command (interrupted), and
 * tells the SSE streams. DAXFLEET_DAX_SWEEP_MS sets its period (default 30 s); tests shorten it.
 */
import fp from 'fastify-plugin';
import { DaxChangeSweeper, DEFAULT_DAX_SWEEP_MS } from '../../services/dax-changes.js';

function sweepMs(): number {
  const raw = process.env['DAXFLEET_DAX_SWEEP_MS'];
  if (raw === undefined || raw === '') return DEFAULT_DAX_SWEEP_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`DAXFLEET_DAX_SWEEP_MS=${raw}: expected a whole number of milliseconds >= 1`);
  }
  return value;
}

export default fp(async (fastify) => {
  const sweeper = new DaxChangeSweeper(fastify, sweepMs());
  fastify.addHook('onReady', async () => {
    sweeper.start();
  });
  fastify.addHook('preClose', async () => {
    await sweeper.stop();
  });
}, { name: 'dax-changes', dependencies: ['config', 'prisma', 'media-bus'] });
