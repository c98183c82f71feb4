// @vitest-environment node
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRequestError, getJson, isRetryable } from './api-client';

/** A real HTTP server on loopback answering the way the hub (or a broken proxy) does. */
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/api/v1/hosts/missing') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({
        statusCode: 404, code: 'DAXFLEET_ERR_HOST_NOT_FOUND', error: 'Not Found',
        message: 'No host with id "missing" has reported to this hub.', reqId: 'req-7',
      }));
    } else if (request.url === '/api/v1/proxy-down') {
      response.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' });
      response.end('<html>bad gateway</html>');
    } else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ hosts: [] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function failure(url: string): Promise<ApiRequestError> {
  try {
    await getJson(url);
  } catch (error) {
    if (error instanceof ApiRequestError) return error;
    throw error;
  }
  throw new Error(`GET ${url} did not fail`);
}

describe('getJson', () => {
  it('returns the parsed body of a 2xx answer', async () => {
    await expect(getJson(`${base}/api/v1/hosts`)).resolves.toEqual({ hosts: [] });
  });

  it("turns the hub's error body into a readable error with its code and request id", async () => {
    const error = await failure(`${base}/api/v1/hosts/missing`);
    expect(error.message).toBe('No host with id "missing" has reported to this hub.');
    expect(error.status).toBe(404);
    expect(error.code).toBe('DAXFLEET_ERR_HOST_NOT_FOUND');
    expect(error.reqId).toBe('req-7');
    expect(isRetryable(error)).toBe(false);
  });

  it('describes an answer that is not the hub error shape by its status', async () => {
    const error = await failure(`${base}/api/v1/proxy-down`);
    expect(error.message).toBe(`The hub answered HTTP 502 Bad Gateway to GET ${base}/api/v1/proxy-down.`);
    expect(error.code).toBeUndefined();
    expect(isRetryable(error)).toBe(true);
  });

  it('says the hub cannot be reached when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(`http://127.0.0.1:${port}/api/v1/hosts`);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/^Cannot reach the daxfleet hub \(.*ECONNREFUSED.*\)\. Is it running\?$/);
  });
});
