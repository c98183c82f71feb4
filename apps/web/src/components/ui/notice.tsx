import type { ReactNode } from 'react';

/** A plain informational panel (empty states, "this machine has no pmem"). */
export function Notice({ title, children, headingLevel = 2 }: { title: string; children: ReactNode; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className="notice" aria-label={title}>
      <Heading className="notice__title">{title}</Heading>
      {children}
    </section>
  );
}
