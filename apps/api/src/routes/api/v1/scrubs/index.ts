import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateScrubJobBodySchema, ScrubJobIdParamsSchema, ScrubJobListSchema, ScrubJobQuerySchema, ScrubJobSchema,
} from '@daxfleet/shared';
import { callerOf } from '../../../../plugins/app/auth.js';
import { errorResponses } from '../../../../schemas.js';
import { cancelScrubJob, createScrubJob, getScrubJob, listScrubJobs } from '../../../../services/scrub-jobs.js';

/**
 * Fleet-wide address range scrubs, staggered host by host (services/scrub-jobs.ts): create (operator), follow
 * (viewer), cancel (operator). The job runs in the hub; its state lives in scrub_jobs, so it survives a restart.
 */
const scrubJobRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('', {
    config: { auth: 'operator', audit: 'scrub.create' },
    schema: {
      tags: ['scrubs'],
      summary: 'Scrub hosts one at a time',
      description: 'Starts an address range scrub on the first host, waits until its reports show every started bus ' +
        'idle with a higher scrub count (or its timeout passed), then the next. Default hosts: every online host ' +
        'whose inventory has a bus with nfit/scrub. 409 DAXFLEET_ERR_SCRUB_JOB_RUNNING while another job runs, ' +
        '409 DAXFLEET_ERR_SCRUB_UNSUPPORTED when there is nothing to scrub.',
      body: CreateScrubJobBodySchema,
      response: { 201: ScrubJobSchema, ...errorResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const body = request.body ?? {};
    const job = await createScrubJob(fastify.prisma, {
      ...(body.host_ids ? { hostIds: body.host_ids } : {}),
      hostTimeoutS: body.host_timeout_s ?? fastify.scrubJobs.defaultHostTimeoutS,
      createdBy: `${caller.kind}:${caller.name}`,
    });
    fastify.scrubJobs.runner.kick();
    return reply.code(201).send(job);
  });

  fastify.get('', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['scrubs'],
      summary: 'Scrub jobs, newest first',
      querystring: ScrubJobQuerySchema,
      response: { 200: ScrubJobListSchema, ...errorResponses(400, 401, 403, 500) },
    },
  }, async (request) => ({ jobs: await listScrubJobs(fastify.prisma, request.query.status, request.query.limit ?? 50) }));

  fastify.get('/:id', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['scrubs'],
      summary: 'One scrub job: every host\'s state, counts and times',
      params: ScrubJobIdParamsSchema,
      response: { 200: ScrubJobSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getScrubJob(fastify.prisma, request.params.id));

  fastify.post('/:id/cancel', {
    config: { auth: 'operator', audit: 'scrub.cancel' },
    schema: {
      tags: ['scrubs'],
      summary: 'Cancel a running scrub job',
      description: 'Hosts not finished become cancelled and no further host starts. A scrub the kernel already runs ' +
        'finishes anyway: sysfs offers no way to stop one. 409 DAXFLEET_ERR_SCRUB_JOB_FINISHED when it already ended.',
      params: ScrubJobIdParamsSchema,
      response: { 200: ScrubJobSchema, ...errorResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request) => {
    const job = await cancelScrubJob(fastify.prisma, request.params.id);
    fastify.scrubJobs.runner.kick();
    return job;
  });
};

export default scrubJobRoutes;
