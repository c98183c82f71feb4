/**
 * Webhook bodies, rendered once when a delivery is written (outbox) so every attempt sends the same bytes:
 *  - daxfleet: our own JSON (the stored event, its host, its ledger entry);
 *  - alertmanager: the body Alertmanager's webhook receiver sends (notify/webhook, version "4"), so receivers built
 *    for Alertmanager (PagerDuty bridges, alert dashboards, Karma...) take daxfleet alerts as they are. A bad range
 *    is one alert: badblock-new fires it, badblock-cleared resolves it with the same fingerprint;
 *  - cloudevents: CloudEvents 1.0, structured mode (the whole event is the JSON body).
 * Pure functions: no clock, no randomness (the caller passes ids and times).
 */
import { createHash } from 'node:crypto';
import type { MediaEvent, StoredEvent, WebhookFormat } from '@daxfleet/shared';

export const DAXFLEET_WEBHOOK_VERSION = 'daxfleet.webhook.v1';
/** the event type of a test send (not a media event type) */
export const TEST_EVENT_TYPE = 'test';
/** Alertmanager's zero time: what it sends as endsAt for a firing alert */
export const ALERTMANAGER_ZERO_TIME = '0001-01-01T00:00:00Z';

export interface LedgerRef {
  id: number;
  firstSeen: Date;
  clearedAt: Date | null;
}

export interface RenderContext {
  /** the delivery's idempotency key */
  deliveryId: string;
  /** the subscription's name: Alertmanager's `receiver` */
  subscriptionName: string;
  /** the hub's public URL (DAXFLEET_PUBLIC_URL), '' when unknown: Alertmanager's externalURL and generatorURL */
  externalUrl: string;
}

export interface EventInput {
  event: MediaEvent;
  hostId: string;
  hostname: string;
  receivedAt: Date;
  ledger?: LedgerRef;
}

export interface RenderedBody {
  body: string;
  contentType: string;
}

export function storedEvent(input: EventInput): StoredEvent {
  return { ...input.event, host_id: input.hostId, hostname: input.hostname, received_at: input.receivedAt.toISOString() };
}

function ledgerJson(ledger: LedgerRef): { id: number; first_seen: string; cleared_at?: string } {
  return {
    id: ledger.id,
    first_seen: ledger.firstSeen.toISOString(),
    ...(ledger.clearedAt ? { cleared_at: ledger.clearedAt.toISOString() } : {}),
  };
}

// daxfleet ------------------------------------------------------------------------------------------------------

export function renderDaxfleet(input: EventInput, ctx: RenderContext): RenderedBody {
  const body = {
    version: DAXFLEET_WEBHOOK_VERSION,
    delivery_id: ctx.deliveryId,
    event: storedEvent(input),
    host: { id: input.hostId, hostname: input.hostname },
    ...(input.ledger ? { ledger: ledgerJson(input.ledger) } : {}),
  };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

// Alertmanager webhook v4 ---------------------------------------------------------------------------------------

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Field names and order as Alertmanager's notify/webhook Message (template.Data embedded, then its own fields). */
export interface AlertmanagerMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

function fingerprint(...parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

/** The stable identity of a bad range on its host: the same for its badblock-new and badblock-cleared. */
export function badRangeFingerprint(hostId: string, region: string, regionOffset: number, length: number): string {
  return fingerprint('badblock', hostId, region, regionOffset, length);
}

/** ndctl monitor event name -> CamelCase alertname, e.g. dimm-media-temperature -> DaxfleetDimmMediaTemperature */
export function alertName(eventType: string): string {
  const base = eventType.startsWith('badblock-') ? 'bad-range' : eventType.startsWith('scrub-') ? 'scrub-running' : eventType;
  return 'Daxfleet' + base.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * Whether a DIMM event says its condition is gone (the alert resolves): health ok again, the alarm off, a clean
 * shutdown state. A shutdown-count increase is an occurrence, never resolved by a later event.
 */
export function dimmConditionGone(event: MediaEvent): boolean {
  const c = event.current;
  if (!c) return false;
  switch (event.type) {
    case 'dimm-spares-remaining': return c.alarm_spares === false;
    case 'dimm-media-temperature': return c.alarm_temperature === false;
    case 'dimm-controller-temperature': return c.alarm_controller_temperature === false;
    case 'dimm-health-state': return c.health_state === 'ok';
    case 'dimm-unclean-shutdown': return c.shutdown_state === 'clean';
    default: return false;
  }
}

/**
 * An alert's severity is part of its identity, so it is fixed per alertname: Alertmanager and its bridges know an
 * alert by its label set, and a resolve whose labels differ from the firing's closes nothing. A bad range is
 * always critical (reads of it fail); a DIMM's health state is critical whatever level it reached (the level is
 * the `health_state` annotation); the other DIMM conditions warn; a running scrub informs.
 */
export function alertSeverity(eventType: string): string {
  if (eventType.startsWith('badblock-')) return 'critical';
  if (eventType === 'dimm-health-state') return 'critical';
  if (eventType.startsWith('scrub-')) return 'info';
  return 'warning';
}

/**
 * Labels carry the alert's identity only (alertname, host id, severity, and the range, DIMM or bus it is about), so
 * the firing and the resolving delivery of one alert have the same label set; whatever can differ between the
 * two events (hostname, namespace, block device, DIMMs of a range, DIMM id, health state) is an annotation.
 */
function alertFromEvent(input: EventInput, ctx: RenderContext): AlertmanagerAlert {
  const { event } = input;
  const labels: Record<string, string> = {
    alertname: alertName(event.type),
    host_id: input.hostId,
    severity: alertSeverity(event.type),
  };
  const annotations: Record<string, string> = {
    summary: event.summary, event_id: event.id, event_type: event.type, hostname: input.hostname,
  };
  const detected = new Date(event.detected_at).toISOString();
  let status: AlertmanagerAlert['status'] = 'firing';
  let startsAt = detected;
  let endsAt = ALERTMANAGER_ZERO_TIME;
  let fp: string;

  if (event.range) {
    const r = event.range;
    labels['region'] = r.region;
    labels['region_offset'] = String(r.region_offset);
    labels['length'] = String(r.length);
    if (r.namespace) annotations['namespace'] = r.namespace;
    if (r.blockdev) annotations['blockdev'] = r.blockdev;
    if (r.dimms.length > 0) annotations['dimms'] = r.dimms.map((d) => d.dimm).join(',');
    fp = badRangeFingerprint(input.hostId, r.region, r.region_offset, r.length);
    if (input.ledger) startsAt = input.ledger.firstSeen.toISOString();
    if (event.type === 'badblock-cleared') {
      status = 'resolved';
      endsAt = (input.ledger?.clearedAt ?? new Date(event.detected_at)).toISOString();
    }
  } else if (event.dimm) {
    labels['dimm'] = event.dimm;
    if (event.dimm_id) annotations['dimm_id'] = event.dimm_id;
    if (event.current?.health_state !== undefined) annotations['health_state'] = String(event.current.health_state);
    fp = fingerprint('dimm', input.hostId, event.dimm, event.type);
    if (dimmConditionGone(event)) {
      status = 'resolved';
      // the firing event's time is not known here; Alertmanager receivers key on the fingerprint, not startsAt
      endsAt = detected;
    }
  } else if ((event.type as string).startsWith('scrub-')) {
    if (event.bus) labels['bus'] = event.bus;
    fp = fingerprint('scrub', input.hostId, event.bus ?? '');
    if (event.type === 'scrub-completed') {
      status = 'resolved';
      endsAt = detected;
    }
  } else {
    fp = fingerprint('event', input.hostId, event.id);
  }

  const base = ctx.externalUrl.replace(/\/+$/, '');
  return {
    status, labels, annotations, startsAt, endsAt,
    generatorURL: base ? `${base}/hosts/${encodeURIComponent(input.hostId)}` : '',
    fingerprint: fp,
  };
}

function groupKeyOf(groupLabels: Record<string, string>): string {
  const inner = Object.keys(groupLabels).sort().map((k) => `${k}=${JSON.stringify(groupLabels[k])}`).join(',');
  return `{}:{${inner}}`;
}

function message(alert: AlertmanagerAlert, ctx: RenderContext): AlertmanagerMessage {
  // grouped by alert name and host, as a route with group_by: [alertname, host_id] would (present labels only)
  const groupLabels: Record<string, string> = {};
  for (const key of ['alertname', 'host_id']) {
    const value = alert.labels[key];
    if (value !== undefined) groupLabels[key] = value;
  }
  return {
    receiver: ctx.subscriptionName,
    status: alert.status,
    alerts: [alert],
    groupLabels,
    // one alert per message: its labels and annotations are the common ones
    commonLabels: { ...alert.labels },
    commonAnnotations: { ...alert.annotations },
    externalURL: ctx.externalUrl,
    version: '4',
    groupKey: groupKeyOf(groupLabels),
    truncatedAlerts: 0,
  };
}

export function renderAlertmanager(input: EventInput, ctx: RenderContext): RenderedBody {
  return { body: JSON.stringify(message(alertFromEvent(input, ctx), ctx)), contentType: 'application/json' };
}

// CloudEvents 1.0 -----------------------------------------------------------------------------------------------

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

function cloudEventSubject(event: MediaEvent): string | undefined {
  if (event.range) return `${event.range.region}+${event.range.region_offset}:${event.range.length}`;
  if (event.dimm) return event.dimm;
  return event.bus;
}

export function renderCloudEvent(input: EventInput, _ctx: RenderContext): RenderedBody {
  const subject = cloudEventSubject(input.event);
  const body = {
    specversion: '1.0',
    id: input.event.id,
    source: `/daxfleet/hosts/${encodeURIComponent(input.hostId)}`,
    type: `io.daxfleet.${input.event.type}`,
    time: new Date(input.event.detected_at).toISOString(),
    ...(subject ? { subject } : {}),
    datacontenttype: 'application/json',
    data: {
      event: storedEvent(input),
      host: { id: input.hostId, hostname: input.hostname },
      ...(input.ledger ? { ledger: ledgerJson(input.ledger) } : {}),
    },
  };
  return { body: JSON.stringify(body), contentType: CLOUDEVENTS_CONTENT_TYPE };
}

// dispatch on format --------------------------------------------------------------------------------------------

export function renderEvent(format: WebhookFormat, input: EventInput, ctx: RenderContext): RenderedBody {
  switch (format) {
    case 'daxfleet': return renderDaxfleet(input, ctx);
    case 'alertmanager': return renderAlertmanager(input, ctx);
    case 'cloudevents': return renderCloudEvent(input, ctx);
  }
}

/** A test send: the same shape as a real delivery of the format, marked as a test, with no media event. */
export function renderTest(
  format: WebhookFormat, ctx: RenderContext & { subscriptionId: string; at: Date; requestedBy: string },
): RenderedBody {
  const summary = `daxfleet test delivery to "${ctx.subscriptionName}" requested by ${ctx.requestedBy}`;
  const at = ctx.at.toISOString();
  switch (format) {
    case 'daxfleet':
      return {
        body: JSON.stringify({
          version: DAXFLEET_WEBHOOK_VERSION, delivery_id: ctx.deliveryId, test: true,
          subscription: { id: ctx.subscriptionId, name: ctx.subscriptionName }, summary, sent_at: at,
        }),
        contentType: 'application/json',
      };
    case 'alertmanager': {
      const labels = { alertname: 'DaxfleetWebhookTest', severity: 'none', subscription_id: ctx.subscriptionId };
      const alert: AlertmanagerAlert = {
        status: 'firing', labels, annotations: { summary }, startsAt: at, endsAt: ALERTMANAGER_ZERO_TIME,
        generatorURL: '', fingerprint: fingerprint('test', ctx.deliveryId),
      };
      return { body: JSON.stringify(message(alert, ctx)), contentType: 'application/json' };
    }
    case 'cloudevents':
      return {
        body: JSON.stringify({
          specversion: '1.0', id: ctx.deliveryId, source: '/daxfleet/hub', type: `io.daxfleet.${TEST_EVENT_TYPE}`,
          time: at, subject: ctx.subscriptionId, datacontenttype: 'application/json',
          data: { test: true, subscription: { id: ctx.subscriptionId, name: ctx.subscriptionName }, summary },
        }),
        contentType: CLOUDEVENTS_CONTENT_TYPE,
      };
  }
}
