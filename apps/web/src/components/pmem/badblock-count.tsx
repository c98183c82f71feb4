/** Open bad-block sectors; highlighted when there are any. */
export function BadBlockCount({ count }: { count: number }) {
  return count > 0
    ? <strong className="badblock-count badblock-count--open" title={`${count} bad 512-byte ${count === 1 ? 'sector' : 'sectors'}`}>{count}</strong>
    : <span className="badblock-count">0</span>;
}
