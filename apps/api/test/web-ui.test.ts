/** The hub serves the built UI with an SPA fallback, without shadowing the API's errors. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from './helpers.js';

const dist = tempDir('daxfleet-web-');
let hub: TestHub;
beforeAll(async () => {
  mkdirSync(path.join(dist.dir, 'assets'));
  writeFileSync(path.join(dist.dir, 'index.html'), '<!doctype html><title>daxfleet ui</title><div id="root"></div>');
  writeFileSync(path.join(dist.dir, 'assets/app-1234.js'), 'console.log("ui")');
  hub = await startTestHub({ webDist: dist.dir });
});
afterAll(async () => {
  await hub.close();
  dist.remove();
});

describe('web UI serving', () => {
  it('serves index.html at / and for client-side routes', async () => {
    for (const url of ['/', '/hosts/abc', '/hosts/abc/history?x=1']) {
      const res = await hub.server.inject({ url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<title>daxfleet ui</title>');
    }
  });

  it('serves built assets with their type', async () => {
    const res = await hub.server.inject({ url: '/assets/app-1234.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
  });

  it('keeps API 404s as JSON errors, not the UI page', async () => {
    const res = await hub.server.inject({ url: '/api/v1/nope', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'DAXFLEET_ERR_ROUTE_NOT_FOUND' });
  });

  it('does not answer a POST to a UI path with the page', async () => {
    const res = await hub.server.inject({ method: 'POST', url: '/hosts/abc' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'DAXFLEET_ERR_ROUTE_NOT_FOUND' });
  });

  it('picks up a UI built while the hub runs (same dist folder), without a restart', async () => {
    const later = tempDir('daxfleet-web-later-');
    const other = await startTestHub({ webDist: later.dir });
    try {
      const before = await other.server.inject({ url: '/fleet', headers: { accept: 'application/json' } });
      expect(before.json()).toMatchObject({ code: 'DAXFLEET_ERR_UI_NOT_BUILT' });
      writeFileSync(path.join(later.dir, 'index.html'), '<title>built later</title>');
      const after = await other.server.inject({ url: '/fleet', headers: { accept: 'text/html' } });
      expect(after.statusCode).toBe(200);
      expect(after.body).toContain('built later');
    } finally {
      await other.close();
      later.remove();
    }
  });
});
