#!/usr/bin/env node
// lab/tools/webhook-receiver.mjs — a real HTTP webhook receiver for the lab's alert tests and the alert-latency
// benchmark, and the benchmark's injection clock. One process on the host, so every time it records comes from
// ONE clock (the host's, in epoch milliseconds with sub-millisecond resolution):
//
//   POST /hook/NAME     a webhook delivery for the subscription called NAME: the raw body is checked against
//                       x-daxfleet-signature ("t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>") with NAME's
//                       secret, and recorded with its receipt time, headers and parsed body. Answers 200 (or the
//                       --status code), so the hub's dispatcher marks it delivered.
//   GET  /inject?tag=T  "may I inject now?": records T0 for tag T and answers at once with it. The guest injects
//                       right after the answer, so T0 -> the webhook's receipt is injection -> alert on one clock.
//   GET  /records?since=SEQ          every record after SEQ (JSON array)
//   GET  /wait?since=SEQ&timeout=S&event=TYPE&hook=NAME&region=R&region_offset=N&status=firing|resolved
//                       long poll: the first delivery after SEQ that matches every given filter (region and
//                       region_offset are looked for anywhere in the body: the daxfleet event's `range`, a
//                       CloudEvent's data, an Alertmanager alert's labels), or 504 after S seconds (default 30)
//   POST /quit          exit (the test's teardown; --max-seconds is the backstop)
//
// Secrets: --secrets FILE, a JSON object {"NAME": "secret", ...}, re-read at every delivery (the test creates the
// subscriptions after the receiver is up, and the hub may generate the secrets). A delivery for a NAME without a
// secret is recorded with sig "no-secret". Records are also appended to --log FILE as JSON lines.
//
// usage: node lab/tools/webhook-receiver.mjs [--host 127.0.0.1] [--port 0] [--port-file F] [--secrets F]
//          [--log F] [--status 200] [--tolerance 300] [--max-seconds N]
// It prints "webhook receiver listening on http://HOST:PORT" when ready.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Now, epoch milliseconds with sub-millisecond resolution (Date.now() has whole milliseconds). */
export const nowMs = () => performance.timeOrigin + performance.now();

/** The hex HMAC-SHA256 a hub sends in v1= for this timestamp and raw body. */
export function sign(secret, t, rawBody) {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}

/**
 * Checks an x-daxfleet-signature header against the raw body bytes. Returns { ok, t, error }: ok only when the
 * header parses, a v1 entry equals the HMAC of "<t>.<body>" under the secret, and t is within toleranceS of
 * nowS (a replayed old delivery must not verify).
 */
export function verifySignature(header, rawBody, secret, { nowS = Date.now() / 1000, toleranceS = 300 } = {}) {
  if (!header) return { ok: false, error: 'no x-daxfleet-signature header' };
  let t;
  const v1 = [];
  for (const part of String(header).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, error: `malformed signature element "${part.trim()}"` };
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') v1.push(v);
  }
  if (t === undefined || !/^\d+$/.test(t)) return { ok: false, error: 'no t=<unix seconds> in the signature' };
  if (v1.length === 0) return { ok: false, t: Number(t), error: 'no v1=<hex> in the signature' };
  const want = Buffer.from(sign(secret, t, rawBody), 'hex');
  const match = v1.some((h) => /^[0-9a-f]{64}$/.test(h) && timingSafeEqual(Buffer.from(h, 'hex'), want));
  if (!match) return { ok: false, t: Number(t), error: 'no v1 signature matches HMAC-SHA256(secret, "<t>.<body>")' };
  if (Math.abs(nowS - Number(t)) > toleranceS) {
    return { ok: false, t: Number(t), error: `timestamp ${t} is ${Math.round(nowS - Number(t))} s from now (tolerance ${toleranceS} s)` };
  }
  return { ok: true, t: Number(t) };
}

/** Every object inside v (v included), depth first. */
function* objects(v) {
  if (v && typeof v === 'object') {
    if (!Array.isArray(v)) yield v;
    for (const x of Object.values(v)) yield* objects(x);
  }
}

/**
 * The Alertmanager status of the alert about this range, or of the payload: the delivery's own status field
 * for an alert object that carries the range in its labels, else the payload's top-level status.
 */
function alertStatus(body, region, offset) {
  if (!body || typeof body !== 'object' || !Array.isArray(body.alerts)) return undefined;
  const a = body.alerts.find((x) => region === undefined || hasRange(x, region, offset));
  return a?.status ?? body.status;
}

/** Does the body mention this range (an object with region == R and region_offset == N, numbers or strings)? */
export function hasRange(body, region, offset) {
  for (const o of objects(body)) {
    if (region !== undefined && String(o.region) !== String(region)) continue;
    if (offset !== undefined && String(o.region_offset) !== String(offset)) continue;
    if (region !== undefined || offset !== undefined) return true;
  }
  return false;
}

/** Does delivery record r match the /wait filters? */
export function matches(r, f) {
  if (r.kind !== 'delivery') return false;
  if (f.event && r.event !== f.event) return false;
  if (f.hook && r.hook !== f.hook) return false;
  if ((f.region !== undefined || f.region_offset !== undefined) && !hasRange(r.body, f.region, f.region_offset)) return false;
  if (f.status && alertStatus(r.body, f.region, f.region_offset) !== f.status) return false;
  return true;
}

function parseArgs(argv) {
  const o = { host: '127.0.0.1', port: 0, status: 200, tolerance: 300 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--host': o.host = v(); break;
      case '--port': o.port = Number(v()); break;
      case '--port-file': o.portFile = v(); break;
      case '--secrets': o.secrets = v(); break;
      case '--log': o.log = v(); break;
      case '--status': o.status = Number(v()); break;
      case '--tolerance': o.tolerance = Number(v()); break;
      case '--max-seconds': o.maxSeconds = Number(v()); break;
      default: throw new Error(`unknown argument ${a} (see the usage line at the top of webhook-receiver.mjs)`);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(o.status) || o.status < 200 || o.status > 599) throw new Error('--status must be an HTTP status code');
  return o;
}

/** Starts a receiver; resolves to { server, port, records, close }. */
export function startReceiver(opts) {
  const records = [];
  const waiters = new Set();
  let seq = 0;
  const seenDeliveries = new Set();
  const secretFor = (name) => {
    if (opts.secretMap) return opts.secretMap[name];
    if (!opts.secrets) return undefined;
    try {
      return JSON.parse(readFileSync(opts.secrets, 'utf8'))[name];
    } catch {
      return undefined;
    }
  };
  const record = (r) => {
    r.seq = ++seq;
    records.push(r);
    if (opts.log) appendFileSync(opts.log, `${JSON.stringify(r)}\n`);
    for (const w of waiters) w(r);
    return r;
  };
  const json = (res, code, v) => {
    res.writeHead(code, { 'content-type': 'application/json', connection: 'close' });
    res.end(`${JSON.stringify(v)}\n`);
  };
  const server = createServer((req, res) => {
    const at = nowMs();
    const url = new URL(req.url, 'http://receiver');
    const q = Object.fromEntries(url.searchParams);
    if (req.method === 'GET' && url.pathname === '/inject') {
      // answered before anything else: the guest is waiting to inject
      const r = record({ kind: 'inject', at_ms: at, tag: q.tag ?? '' });
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${r.seq} ${at.toFixed(3)}\n`);
      return;
    }
    if (req.method === 'POST' && url.pathname.startsWith('/hook/')) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const hook = decodeURIComponent(url.pathname.slice('/hook/'.length));
        const secret = secretFor(hook);
        const header = req.headers['x-daxfleet-signature'];
        let sig;
        let sigError;
        let t;
        if (secret === undefined) sig = 'no-secret';
        else {
          const v = verifySignature(header, raw, secret, { nowS: at / 1000, toleranceS: opts.tolerance ?? 300 });
          sig = v.ok ? 'ok' : 'bad';
          sigError = v.error;
          t = v.t;
        }
        let body;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = raw.toString('utf8');
        }
        const delivery = req.headers['x-daxfleet-delivery'];
        const dup = delivery !== undefined && seenDeliveries.has(delivery);
        if (delivery !== undefined) seenDeliveries.add(delivery);
        record({
          kind: 'delivery', at_ms: at, hook, sig, ...(sigError ? { sig_error: sigError } : {}), t,
          event: req.headers['x-daxfleet-event'], delivery, duplicate: dup,
          content_type: req.headers['content-type'], bytes: raw.length, body,
        });
        res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain', connection: 'close' });
        res.end('ok\n');
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/records') {
      const since = Number(q.since ?? 0);
      json(res, 200, records.filter((r) => r.seq > since));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/wait') {
      const since = Number(q.since ?? 0);
      const f = {
        event: q.event, hook: q.hook, region: q.region, region_offset: q.region_offset, status: q.status,
      };
      const hit = records.find((r) => r.seq > since && matches(r, f));
      if (hit) { json(res, 200, hit); return; }
      const timeout = Math.min(Number(q.timeout ?? 30), 600) * 1000;
      let timer;
      const w = (r) => {
        if (r.seq > since && matches(r, f)) { clearTimeout(timer); waiters.delete(w); json(res, 200, r); }
      };
      timer = setTimeout(() => {
        waiters.delete(w);
        json(res, 504, { error: `no matching delivery within ${timeout / 1000} s`, filters: f, since });
      }, timeout);
      waiters.add(w);
      req.on('close', () => { clearTimeout(timer); waiters.delete(w); });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/quit') {
      json(res, 200, { records: records.length });
      setImmediate(() => close());
      return;
    }
    json(res, 404, { error: `no ${req.method} ${url.pathname} here (POST /hook/NAME, GET /inject, /records, /wait, POST /quit)` });
  });
  const close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      resolve({ server, port: server.address().port, records, close });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`webhook-receiver: ${err.message}`);
    process.exit(2);
  }
  const rx = await startReceiver(opts);
  if (opts.portFile) writeFileSync(opts.portFile, `${rx.port}\n`);
  console.log(`webhook receiver listening on http://${opts.host}:${rx.port}`);
  if (opts.maxSeconds) setTimeout(() => { console.log('webhook receiver: --max-seconds reached'); rx.close(); }, opts.maxSeconds * 1000).unref();
  const stop = () => { rx.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  rx.server.on('close', () => process.exit(0));
}
