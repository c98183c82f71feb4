import { createContext, useContext } from 'react';
import { Link } from 'react-router';

/** Where "Change mode…" on a namespace or dax device leads (the host's DAX page); absent: no link is shown. */
export type ChangeHref = (kind: 'namespace-reconfigure' | 'daxdev-reconfigure', target: string) => string;

export const ChangeHrefContext = createContext<ChangeHref | undefined>(undefined);

/** "Change mode…" for one namespace or dax device, named by it ("Change mode of namespace0.0"). */
export function ChangeModeLink({ kind, target }: { kind: Parameters<ChangeHref>[0]; target: string }) {
  const href = useContext(ChangeHrefContext);
  if (href === undefined) return null;
  return <Link to={href(kind, target)} aria-label={`Change mode of ${target}`} className="button">Change mode…</Link>;
}
