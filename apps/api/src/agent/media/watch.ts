/**
 * Fast detection of media errors between the agent's regular scans. The attributes that change when the kernel
 * learns of a bad range or a scrub ends are few and small: regionN/badblocks, /sys/block/pmemX/badblocks of each
 * namespace's block device, and each bus's nfit/scrub. The watcher re-reads the badblocks attributes every
 * `pollMs` (250 ms by default) and, when one changed, asks for a scan at once (detected_by 'poll'). The kernel also
 * notifies some of them (sysfs_notify on region badblocks after ARS; on nfit/scrub, the kernfs node it keeps as
 * scrub_count_state, when a scrub completes): when the native addon is loaded, all of them are watched with
 * poll(POLLPRI) through watchSysfsAttributes, and a notification asks for a scan at once (detected_by 'notify').
 * A write to /sys/block/pmemX/badblocks is not notified, hence the re-reads.
 *
 * nfit/scrub is NEVER re-read here: reading it is not free. drivers/acpi/nfit/core.c scrub_show, on a read by a
 * CAP_SYS_RAWIO process (the agent runs as root) while a scrub is busy, sets ARS_POLL, resets scrub_tmo to 1 and
 * schedules the ARS work in 1 s: an ARS Status firmware call (ACPI _DSM, often an SMI) per read. Re-read every
 * 250 ms it would make the kernel ask the firmware about every second for the whole scrub, instead of backing off
 * to 30 min. Its completion is notified (above); its start shows in the next scan, and the agent rescans right
 * after its own scrub command. The scan itself (dax-native sysfs/bus.ts) reads nfit/scrub once per scan, i.e.
 * once per report interval (10 s by default) plus the scans a change wakes: what `ndctl list` / `ndctl monitor`
 * cost too.
 *
 * The watched set comes from the latest scan (setPaths after every scan): namespaces and their block devices come
 * and go. A change that happens between a scan and the first read of a newly watched file is not seen by the
 * watcher; the next regular scan finds it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Inventory } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';

/** watchSysfsAttributes of @daxfleet/dax-native: poll(POLLPRI) on sysfs attributes; throws when the addon is not loaded. */
export type WatchSysfsAttributes = (
  paths: readonly string[],
  onChange: (change: { path: string; text: string }) => void,
  onError?: (err: unknown) => void,
) => { close(): void; readonly paths: readonly string[]; readonly initial?: ReadonlyMap<string, string> };

export type WakeReason = 'poll' | 'notify';

export interface MediaWatcherOptions {
  /** re-read interval; 0: no re-reads (kernel notifications only, when available) */
  pollMs: number;
  /** a watched attribute changed: run a cycle now (the agent coalesces bursts) */
  onChange: (by: WakeReason, path: string) => void;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug'>;
  /** the addon's watcher, when it can be used */
  watch?: WatchSysfsAttributes;
}

/** The attributes to watch for an inventory scanned from `sysfsRoot` (absolute paths, sorted). */
export function mediaAttributePaths(inventory: Inventory, sysfsRoot: string): string[] {
  const out = new Set<string>();
  const nd = path.join(sysfsRoot, 'bus/nd/devices');
  for (const bus of inventory.buses) {
    if (bus.scrub_count !== undefined || bus.scrub_state !== undefined) out.add(path.join(nd, bus.dev, 'nfit/scrub'));
    for (const region of bus.regions) {
      out.add(path.join(nd, region.dev, 'badblocks'));
      for (const ns of region.namespaces) {
        if (ns.blockdev !== undefined && ns.mode !== 'sector') out.add(path.join(sysfsRoot, 'block', ns.blockdev, 'badblocks'));
      }
    }
  }
  return [...out].sort();
}

/**
 * Whether the watcher may re-read `file`: every watched attribute but nfit/scrub, whose read while a scrub runs
 * makes the kernel issue an ARS Status firmware call (see the header). nfit/scrub is watched for notifications only.
 */
export function rereadable(file: string): boolean {
  return !file.endsWith(`${path.sep}nfit${path.sep}scrub`);
}

export class MediaWatcher {
  private readonly opts: MediaWatcherOptions;
  private paths: string[] = [];
  /** last text read (or notified) per path; null: the file could not be read */
  private readonly last = new Map<string, string | null>();
  private timer: NodeJS.Timeout | undefined;
  private notifier: ReturnType<WatchSysfsAttributes> | undefined;
  private notifyUnavailable = false;
  private closed = false;
  private reading: Promise<void> | undefined;

  constructor(opts: MediaWatcherOptions) {
    this.opts = opts;
  }

  get watchedPaths(): readonly string[] {
    return this.paths;
  }

  /** whether kernel notifications are being watched (the addon is loaded) */
  get notifying(): boolean {
    return this.notifier !== undefined;
  }

  /** Watches this set from now on (no-op when it is the current one). */
  setPaths(paths: readonly string[]): void {
    if (this.closed) return;
    const next = [...new Set(paths)].sort();
    if (next.length === this.paths.length && next.every((p, i) => p === this.paths[i])) return;
    for (const p of this.last.keys()) if (!next.includes(p)) this.last.delete(p);
    this.paths = next;
    this.opts.log.debug({ paths: next }, 'media watcher: watched attributes changed');
    this.rebuildNotifier();
    if (this.timer === undefined && this.opts.pollMs > 0) this.scheduleRead(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.notifier?.close();
    this.notifier = undefined;
  }

  /** Re-reads every watched attribute but nfit/scrub once; resolves after onChange was called for a change (tests, benchmarks). */
  async readOnce(): Promise<void> {
    while (this.reading) await this.reading;
    this.reading = this.read().finally(() => {
      this.reading = undefined;
    });
    await this.reading;
  }

  private scheduleRead(delayMs: number): void {
    if (this.closed || this.opts.pollMs <= 0) return;
    this.timer = setTimeout(() => {
      void this.readOnce().finally(() => this.scheduleRead(this.opts.pollMs));
    }, delayMs);
    this.timer.unref();
  }

  private async read(): Promise<void> {
    const paths = this.paths.filter(rereadable);
    const texts = await Promise.all(paths.map((p) => readFile(p, 'utf8').catch(() => null)));
    let changed: string | undefined;
    paths.forEach((p, i) => {
      const text = texts[i] ?? null;
      if (this.last.has(p) && this.last.get(p) !== text) changed ??= p;
      this.last.set(p, text);
    });
    if (changed !== undefined && !this.closed) this.opts.onChange('poll', changed);
  }

  private rebuildNotifier(): void {
    this.notifier?.close();
    this.notifier = undefined;
    const watch = this.opts.watch;
    if (watch === undefined || this.notifyUnavailable || this.paths.length === 0) return;
    const fallback = this.opts.pollMs > 0 ? `re-reading the attributes every ${this.opts.pollMs} ms`
      : 'bad blocks are found by the regular scans only';
    try {
      this.notifier = watch(this.paths, (change) => {
        if (this.closed || this.last.get(change.path) === change.text) return;
        this.last.set(change.path, change.text);
        this.opts.onChange('notify', change.path);
      }, (err) => {
        // e.g. ENODEV: the attribute went away with its namespace; the next scan rebuilds the set
        this.opts.log.debug({ err }, `media watcher: ${(err as Error).message}`);
      });
      // the texts the watch was armed with: a change after them is notified, so nothing falls in between
      for (const [p, text] of this.notifier.initial ?? []) if (!this.last.has(p)) this.last.set(p, text);
    } catch (err) {
      if ((err as { code?: string }).code === 'DAXFLEET_ERR_NATIVE_UNAVAILABLE') {
        // no addon on this machine: do not try again at every rebuild
        this.notifyUnavailable = true;
        this.opts.log.info(`media watcher: no kernel notifications (native addon not loaded); ${fallback}`);
      } else {
        // e.g. an attribute vanished between the scan and here: tried again when the set changes
        this.opts.log.warn({ err }, `media watcher: cannot watch for kernel notifications (${(err as Error).message}); ${fallback}`);
      }
    }
  }
}
