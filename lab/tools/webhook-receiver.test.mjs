// lab/tools/webhook-receiver.test.mjs — host-only tests of the lab's webhook receiver (node --test): the
// signature check the lab test relies on (a receiver that accepted anything would make the lab test worthless),
// and the HTTP behaviour the guest scripts use (/hook, /inject, /wait, /records).
//   node --test lab/tools/webhook-receiver.test.mjs
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { hasRange, sign, startReceiver, verifySignature } from './webhook-receiver.mjs';

const secret = 'whsec_lab_test_secret';
const body = Buffer.from('{"type":"badblock-new","range":{"region":"region1","region_offset":655360,"length":8}}');

test('a v1 signature made independently with HMAC-SHA256(secret, "<t>.<body>") verifies', () => {
  const t = 1764250000;
  const hex = createHmac('sha256', secret).update(`${t}.${body.toString()}`).digest('hex');
  assert.equal(sign(secret, t, body), hex);
  assert.deepEqual(verifySignature(`t=${t},v1=${hex}`, body, secret, { nowS: t + 5 }), { ok: true, t });
  // any of several v1 entries (secret rotation) may match
  assert.equal(verifySignature(`t=${t},v1=${'0'.repeat(64)},v1=${hex}`, body, secret, { nowS: t }).ok, true);
});

test('wrong secret, altered body, altered timestamp, stale or malformed headers do not verify', () => {
  const t = 1764250000;
  const h = `t=${t},v1=${sign(secret, t, body)}`;
  assert.match(verifySignature(h, body, 'other', { nowS: t }).error, /no v1 signature matches/);
  assert.match(verifySignature(h, Buffer.concat([body, Buffer.from(' ')]), secret, { nowS: t }).error, /no v1 signature matches/);
  assert.equal(verifySignature(`t=${t + 1},v1=${sign(secret, t, body)}`, body, secret, { nowS: t }).ok, false);
  assert.match(verifySignature(h, body, secret, { nowS: t + 301 }).error, /tolerance/);
  assert.match(verifySignature(undefined, body, secret).error, /no x-daxfleet-signature/);
  assert.match(verifySignature(`v1=${sign(secret, t, body)}`, body, secret).error, /no t=/);
  assert.match(verifySignature(`t=${t}`, body, secret, { nowS: t }).error, /no v1=/);
  assert.match(verifySignature(`t=${t},v1=xyz`, body, secret, { nowS: t }).error, /no v1 signature matches/);
  assert.match(verifySignature('garbage', body, secret).error, /malformed/);
});

test('ranges are found in the daxfleet, CloudEvents and Alertmanager shapes', () => {
  assert.equal(hasRange({ range: { region: 'region1', region_offset: 655360 } }, 'region1', '655360'), true);
  assert.equal(hasRange({ data: { range: { region: 'region1', region_offset: 655360 } } }, 'region1', 655360), true);
  assert.equal(hasRange({ alerts: [{ labels: { region: 'region1', region_offset: '655360' } }] }, 'region1', '655360'), true);
  assert.equal(hasRange({ range: { region: 'region1', region_offset: 655361 } }, 'region1', '655360'), false);
  assert.equal(hasRange({ range: { region: 'region0', region_offset: 655360 } }, 'region1', '655360'), false);
});

test('over HTTP: deliveries are verified and recorded, /inject stamps T0, /wait finds the match', async () => {
  const rx = await startReceiver({ port: 0, secretMap: { dx: secret } });
  const base = `http://127.0.0.1:${rx.port}`;
  try {
    const inj = await (await fetch(`${base}/inject?tag=bb1`)).text();
    const [injSeq, t0] = inj.trim().split(' ').map(Number);
    const waiting = fetch(`${base}/wait?since=${injSeq}&event=badblock-new&region=region1&region_offset=655360&timeout=10`);
    const post = async (hook, sig) => fetch(`${base}/hook/${hook}`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-daxfleet-signature': sig, 'x-daxfleet-event': 'badblock-new', 'x-daxfleet-delivery': 'd1' },
    });
    const t = Math.floor(Date.now() / 1000);
    assert.equal((await post('dx', `t=${t},v1=${sign('wrong', t, body)}`)).status, 200);
    assert.equal((await post('dx', `t=${t},v1=${sign(secret, t, body)}`)).status, 200);
    assert.equal((await post('unknown', `t=${t},v1=${sign(secret, t, body)}`)).status, 200);
    const hit = await (await waiting).json();
    // the first matching delivery (the badly signed one): /wait matches on content, the checks look at sig
    assert.equal(hit.sig, 'bad');
    const recs = await (await fetch(`${base}/records?since=${injSeq}`)).json();
    assert.deepEqual(recs.map((r) => [r.hook, r.sig, r.duplicate]), [['dx', 'bad', false], ['dx', 'ok', true], ['unknown', 'no-secret', true]]);
    assert.ok(recs[1].at_ms >= t0, 'receipt after injection on the same clock');
    assert.equal(recs[1].body.range.region_offset, 655360);
    const none = await fetch(`${base}/wait?since=${recs[2].seq}&timeout=0.2`);
    assert.equal(none.status, 504);
  } finally {
    await rx.close();
  }
});
