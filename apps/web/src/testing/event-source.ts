/** Stands in for the browser's EventSource (jsdom has none): the test sends the hub's SSE events through it. */
export class TestEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: TestEventSource[] = [];
  readyState = TestEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string, readonly init?: EventSourceInit) { TestEventSource.instances.push(this); }
  addEventListener(type: string, listener: (event: MessageEvent) => void) { this.listeners.set(type, [...this.listeners.get(type) ?? [], listener]); }
  close() { this.readyState = TestEventSource.CLOSED; }
  open() { this.readyState = TestEventSource.OPEN; this.onopen?.(); }
  drop() { this.readyState = TestEventSource.CONNECTING; this.onerror?.(); }
  emit(type: string, data: unknown) { for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data: JSON.stringify(data) })); }
}
