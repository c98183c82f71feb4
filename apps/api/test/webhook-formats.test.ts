/** Webhook bodies, signatures, backoff and delivery ids: the pure parts, without a hub. */
import type { MediaEvent } from '@daxfleet/shared';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/services/webhooks/dispatcher.js';
import {
  ALERTMANAGER_ZERO_TIME, DAXFLEET_WEBHOOK_VERSION, badRangeFingerprint, renderAlertmanager, renderCloudEvent,
  renderDaxfleet, renderTest, type EventInput, type RenderContext,
} from '../src/services/webhooks/formats.js';
import { newDeliveryId, subscriptionMatches } from '../src/services/webhooks/outbox.js';
import { computeSignature, generateSecret, secretPrefix, signatureHeader, verifySignature } from '../src/services/webhooks/signing.js';
import { createHash } from 'node:crypto';

const ctx: RenderContext = { deliveryId: '0190f000-0000-7000-8000-000000000001', subscriptionName: 'oncall', externalUrl: 'https://hub.example' };
const firstSeen = new Date('2026-11-27T10:00:00.000Z');
const clearedAt = new Date('2026-11-27T11:30:00.000Z');
const range = { region: 'region0', region_offset: 65536, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region' as const, namespace: 'namespace0.0', blockdev: 'pmem0' };

const newEvent: MediaEvent = {
  id: 'evt-new-00000001', type: 'badblock-new', detected_at: firstSeen.toISOString(), detected_by: 'notify',
  summary: 'new bad range region0+65536 (8 sectors)', range,
};
const clearedEvent: MediaEvent = {
  id: 'evt-clr-00000001', type: 'badblock-cleared', detected_at: clearedAt.toISOString(), detected_by: 'poll',
  summary: 'bad range region0+65536 (8 sectors) cleared', range,
};
const base = { hostId: 'host-a', hostname: 'pmem-a', receivedAt: new Date('2026-11-27T10:00:01.000Z') };
const newInput: EventInput = { ...base, event: newEvent, ledger: { id: 7, firstSeen, clearedAt: null } };
const clearedInput: EventInput = { ...base, event: clearedEvent, ledger: { id: 7, firstSeen, clearedAt } };

describe('daxfleet format', () => {
  it('carries the stored event, the host, the ledger entry and the delivery id', () => {
    const r = renderDaxfleet(newInput, ctx);
    expect(r.contentType).toBe('application/json');
    const body = JSON.parse(r.body);
    expect(body).toEqual({
      version: DAXFLEET_WEBHOOK_VERSION,
      delivery_id: ctx.deliveryId,
      event: { ...newEvent, host_id: 'host-a', hostname: 'pmem-a', received_at: '2026-11-27T10:00:01.000Z' },
      host: { id: 'host-a', hostname: 'pmem-a' },
      ledger: { id: 7, first_seen: firstSeen.toISOString() },
    });
    expect(JSON.parse(renderDaxfleet(clearedInput, ctx).body).ledger.cleared_at).toBe(clearedAt.toISOString());
  });
});

describe('Alertmanager webhook v4 format', () => {
  it('has exactly the fields Alertmanager sends', () => {
    const body = JSON.parse(renderAlertmanager(newInput, ctx).body);
    expect(Object.keys(body).sort()).toEqual([
      'alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status',
      'truncatedAlerts', 'version',
    ]);
    expect(body.version).toBe('4');
    expect(body.truncatedAlerts).toBe(0);
    expect(body.receiver).toBe('oncall');
    expect(body.externalURL).toBe('https://hub.example');
    expect(typeof body.groupKey).toBe('string');
    expect(body.alerts).toHaveLength(1);
    expect(Object.keys(body.alerts[0]).sort()).toEqual([
      'annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status',
    ]);
    expect(body.commonLabels).toEqual(body.alerts[0].labels);
    expect(body.groupLabels).toEqual({ alertname: 'DaxfleetBadRange', host_id: 'host-a' });
  });

  it('fires on badblock-new and resolves on badblock-cleared with the same fingerprint', () => {
    const firing = JSON.parse(renderAlertmanager(newInput, ctx).body);
    const resolved = JSON.parse(renderAlertmanager(clearedInput, ctx).body);
    expect(firing.status).toBe('firing');
    expect(firing.alerts[0].status).toBe('firing');
    expect(firing.alerts[0].startsAt).toBe(firstSeen.toISOString());
    expect(firing.alerts[0].endsAt).toBe(ALERTMANAGER_ZERO_TIME);
    expect(firing.alerts[0].labels).toMatchObject({
      alertname: 'DaxfleetBadRange', host_id: 'host-a', region: 'region0', region_offset: '65536', length: '8', severity: 'critical',
    });
    expect(firing.alerts[0].annotations).toMatchObject({ hostname: 'pmem-a', dimms: 'nmem0' });
    expect(firing.alerts[0].generatorURL).toBe('https://hub.example/hosts/host-a');

    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0].status).toBe('resolved');
    expect(resolved.alerts[0].startsAt).toBe(firstSeen.toISOString());
    expect(resolved.alerts[0].endsAt).toBe(clearedAt.toISOString());
    expect(resolved.alerts[0].fingerprint).toBe(firing.alerts[0].fingerprint);
    expect(resolved.groupKey).toBe(firing.groupKey);
    expect(firing.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(firing.alerts[0].fingerprint).toBe(badRangeFingerprint('host-a', 'region0', 65536, 8));
    // another range, or the same range on another host, is another alert
    expect(badRangeFingerprint('host-a', 'region0', 65544, 8)).not.toBe(firing.alerts[0].fingerprint);
    expect(badRangeFingerprint('host-b', 'region0', 65536, 8)).not.toBe(firing.alerts[0].fingerprint);
  });

  it('labels only the alert\'s identity: firing and resolved of one alert carry identical labels', () => {
    // Alertmanager and its bridges identify an alert by its label set: a resolve with other labels closes nothing
    const movedRange = { ...range, namespace: 'namespace0.1', blockdev: 'pmem0.1', dimms: [{ dimm: 'nmem0' }, { dimm: 'nmem1' }] };
    const renamed = { ...clearedInput, hostname: 'pmem-a-renamed', event: { ...clearedEvent, range: movedRange } };
    const firing = JSON.parse(renderAlertmanager(newInput, ctx).body).alerts[0];
    for (const resolvedInput of [clearedInput, renamed]) {
      const resolved = JSON.parse(renderAlertmanager(resolvedInput, ctx).body).alerts[0];
      expect(resolved.status).toBe('resolved');
      expect(resolved.labels).toEqual(firing.labels);
      expect(resolved.fingerprint).toBe(firing.fingerprint);
    }
    expect(firing.labels).toEqual({
      alertname: 'DaxfleetBadRange', host_id: 'host-a', region: 'region0', region_offset: '65536', length: '8', severity: 'critical',
    });
    // what can change between the two events is in the annotations
    expect(firing.annotations).toMatchObject({ hostname: 'pmem-a', namespace: 'namespace0.0', blockdev: 'pmem0', dimms: 'nmem0' });

    const health = (id: string, state: 'ok' | 'non-critical' | 'critical' | 'fatal', withId: boolean): EventInput => ({
      ...base,
      event: {
        id, type: 'dimm-health-state', detected_at: clearedAt.toISOString(), detected_by: 'scan', summary: `nmem1 health ${state}`,
        dimm: 'nmem1', ...(withId ? { dimm_id: '8089-a2-1234' } : {}), current: { health_state: state },
      },
    });
    const states = [['critical', true], ['non-critical', false], ['fatal', true], ['ok', false]] as const;
    const alerts = states.map(([s, withId], i) => JSON.parse(renderAlertmanager(health(`evt-h-${i}`, s, withId), ctx).body).alerts[0]);
    expect(alerts.map((a) => a.status)).toEqual(['firing', 'firing', 'firing', 'resolved']);
    for (const a of alerts) {
      expect(a.labels).toEqual(alerts[0].labels);
      expect(a.fingerprint).toBe(alerts[0].fingerprint);
    }
    expect(alerts[0].labels).toEqual({ alertname: 'DaxfleetDimmHealthState', host_id: 'host-a', dimm: 'nmem1', severity: 'critical' });
    expect(alerts.map((a) => a.annotations.health_state)).toEqual(['critical', 'non-critical', 'fatal', 'ok']);
  });

  it('fires DIMM events by their ndctl name and resolves them when the condition is gone', () => {
    const dimmEvent = (id: string, healthState: 'critical' | 'ok'): EventInput => ({
      ...base,
      event: {
        id, type: 'dimm-health-state', detected_at: clearedAt.toISOString(), detected_by: 'scan',
        summary: `nmem1 health ${healthState}`, dimm: 'nmem1', dimm_id: '8089-a2-1234',
        previous: { health_state: healthState === 'ok' ? 'critical' : 'ok' }, current: { health_state: healthState },
      },
    });
    const firing = JSON.parse(renderAlertmanager(dimmEvent('evt-dimm-0001', 'critical'), ctx).body);
    const resolved = JSON.parse(renderAlertmanager(dimmEvent('evt-dimm-0002', 'ok'), ctx).body);
    expect(firing.alerts[0]).toMatchObject({ status: 'firing', labels: { alertname: 'DaxfleetDimmHealthState', dimm: 'nmem1', severity: 'critical' } });
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', endsAt: clearedAt.toISOString() });
    expect(resolved.alerts[0].fingerprint).toBe(firing.alerts[0].fingerprint);

    const temp = (alarm: boolean): EventInput => ({
      ...base,
      event: {
        id: `evt-temp-${alarm}`, type: 'dimm-media-temperature', detected_at: clearedAt.toISOString(), detected_by: 'scan',
        summary: 'temperature', dimm: 'nmem1', current: { alarm_temperature: alarm, temperature_celsius: alarm ? 90 : 40 },
      },
    });
    expect(JSON.parse(renderAlertmanager(temp(true), ctx).body).alerts[0].status).toBe('firing');
    expect(JSON.parse(renderAlertmanager(temp(false), ctx).body).alerts[0].status).toBe('resolved');
  });
});

describe('CloudEvents 1.0 format', () => {
  it('is structured mode with the required and optional attributes', () => {
    const r = renderCloudEvent(newInput, ctx);
    expect(r.contentType).toMatch(/^application\/cloudevents\+json/);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({
      specversion: '1.0',
      id: newEvent.id,
      source: '/daxfleet/hosts/host-a',
      type: 'io.daxfleet.badblock-new',
      time: firstSeen.toISOString(),
      subject: 'region0+65536:8',
      datacontenttype: 'application/json',
    });
    expect(body.data.event.id).toBe(newEvent.id);
    expect(body.data.host).toEqual({ id: 'host-a', hostname: 'pmem-a' });
    expect(body.data.ledger.id).toBe(7);
    // extension and context attribute names: lower-case letters and digits only (CloudEvents 1.0 naming)
    for (const key of Object.keys(body)) if (key !== 'data') expect(key).toMatch(/^[a-z0-9]+$/);
  });
});

describe('test sends', () => {
  it('render in every format, marked as a test', () => {
    const t = { ...ctx, subscriptionId: 'wh_x', at: clearedAt, requestedBy: 'admin' };
    expect(JSON.parse(renderTest('daxfleet', t).body)).toMatchObject({ version: DAXFLEET_WEBHOOK_VERSION, delivery_id: ctx.deliveryId, test: true });
    expect(JSON.parse(renderTest('alertmanager', t).body)).toMatchObject({ version: '4', alerts: [{ labels: { alertname: 'DaxfleetWebhookTest' } }] });
    expect(JSON.parse(renderTest('cloudevents', t).body)).toMatchObject({ specversion: '1.0', type: 'io.daxfleet.test', id: ctx.deliveryId });
  });
});

describe('signatures', () => {
  const secret = 'whsec_0123456789abcdef';
  const body = '{"hello":"world"}';
  const now = new Date('2026-11-27T12:00:00Z');

  it('signs "<t>.<body>" with HMAC-SHA256 and verifies it', () => {
    const header = signatureHeader(secret, body, now);
    const t = Math.floor(now.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${computeSignature(secret, t, body)}`);
    expect(verifySignature(secret, header, body, 300, now)).toEqual({ ok: true, timestamp: t });
  });

  it('refuses a changed body, another secret, an old timestamp and a malformed header', () => {
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, header, body.replace('world', 'World'), 300, now).ok).toBe(false);
    expect(verifySignature('whsec_another-secret-0000', header, body, 300, now).ok).toBe(false);
    const later = new Date(now.getTime() + 301_000);
    expect(verifySignature(secret, header, body, 300, later)).toMatchObject({ ok: false, reason: expect.stringMatching(/tolerance/) });
    expect(verifySignature(secret, undefined, body, 300, now).ok).toBe(false);
    expect(verifySignature(secret, 'v1=abc', body, 300, now).ok).toBe(false);
  });
});

describe('secret prefix', () => {
  it('shows whsec_ + 2 characters of a generated secret and only a sha256 fingerprint of an admin-chosen one', () => {
    const generated = generateSecret();
    expect(secretPrefix(generated)).toBe(generated.slice(0, 8));
    expect(secretPrefix(generated)).toMatch(/^whsec_.{2}$/);
    const own = 'sixteen-chars-ok';
    const shown = secretPrefix(own);
    expect(shown).toBe(`sha256:${createHash('sha256').update(own).digest('hex').slice(0, 8)}`);
    // no run of 3 characters of the admin's secret in what lists show
    for (let i = 0; i + 3 <= own.length; i++) expect(shown).not.toContain(own.slice(i, i + 3));
    // an admin-chosen secret that merely starts like a generated one is fingerprinted too
    expect(secretPrefix('whsec_my-own-16-chars')).toMatch(/^sha256:[0-9a-f]{8}$/);
  });
});

describe('backoff and delivery ids', () => {
  it('full jitter: within [0, min(cap, base * 2^(n-1))]', () => {
    const top = (): number => 0.999999;
    expect(backoffDelayMs(1, 1000, 300_000, top)).toBe(999);
    expect(backoffDelayMs(2, 1000, 300_000, top)).toBe(1999);
    expect(backoffDelayMs(5, 1000, 300_000, top)).toBe(15_999);
    expect(backoffDelayMs(30, 1000, 300_000, top)).toBe(299_999);
    expect(backoffDelayMs(30, 1000, 300_000, () => 0)).toBe(0);
  });

  it('delivery ids are UUIDv7 that sort in creation order, even many in one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newDeliveryId(1_800_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 5)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const later = newDeliveryId();
    expect(later > ids[ids.length - 1]!).toBe(true);
  });

  it('empty filters match every event type and host', () => {
    const sub = { id: 's', name: 's', format: 'daxfleet' as const, eventTypes: [], hostIds: [] };
    expect(subscriptionMatches(sub, 'badblock-new', 'h')).toBe(true);
    expect(subscriptionMatches({ ...sub, eventTypes: ['badblock-cleared'] }, 'badblock-new', 'h')).toBe(false);
    expect(subscriptionMatches({ ...sub, hostIds: ['h2'] }, 'badblock-new', 'h')).toBe(false);
    expect(subscriptionMatches({ ...sub, hostIds: ['h'], eventTypes: ['badblock-new'] }, 'badblock-new', 'h')).toBe(true);
  });
});
