/**
 * One lock the recovery executor and the DAX change dispatcher share (serve.ts gives both the same object): a
 * recovery writes through a device that a DAX change may take away or reconfigure under it, so neither starts
 * while the other runs. Recoveries still run side by side (one per device, their own rule) and DAX changes one
 * at a time (the dispatcher's rule); this only keeps the two kinds apart.
 */
export type ChangeSide = 'recovery' | 'dax';

export class HostChangeLock {
  /** id of the running recovery plan or DAX change → its side */
  private readonly held = new Map<string, ChangeSide>();

  /** Takes the lock for `id` on `side`; when the other side holds it, nothing is taken and its ids come back. */
  take(side: ChangeSide, id: string): string[] {
    const others = [...this.held].filter(([, s]) => s !== side).map(([other]) => other);
    if (others.length === 0) this.held.set(id, side);
    return others;
  }

  release(id: string): void {
    this.held.delete(id);
  }
}
