/** A value the kernel did not report: shown as a dash, never as a made-up zero. */
export function Missing() {
  return <span className="muted" title="not reported">—</span>;
}
