import type { ReactNode } from 'react';

export type DescriptionItem = { term: string; value: ReactNode };

/** Attribute/value pairs; items whose value is undefined are left out (absent in the kernel = not shown). */
export function DescriptionList({ items, className }: { items: Array<DescriptionItem | undefined | false>; className?: string }) {
  const present = items.filter((item): item is DescriptionItem => item !== undefined && item !== false && item.value !== undefined);
  if (present.length === 0) return null;
  return (
    <dl className={`description-list ${className ?? ''}`.trim()}>
      {present.map((item) => (
        <div className="description-list__item" key={item.term}>
          <dt>{item.term}</dt>
          <dd>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
