import { describe, expect, it } from 'vitest';
import { describeChange } from './describe-change';

describe('describeChange', () => {
  it('words additions, removals and field changes the way an operator reads them', () => {
    expect(describeChange({ kind: 'added', object: 'namespace1.2', object_type: 'namespace' })).toBe('added namespace1.2');
    expect(describeChange({ kind: 'removed', object: 'dax1.0', object_type: 'dax_device' })).toBe('removed dax1.0');
    expect(describeChange({ kind: 'changed', object: 'namespace0.1', object_type: 'namespace', field: 'mode', from: 'raw', to: 'fsdax' }))
      .toBe('namespace0.1 mode: raw → fsdax');
    expect(describeChange({ kind: 'changed', object: 'region0', object_type: 'region', field: 'available_size', from: 0, to: 1024 ** 3 }))
      .toBe('region0 available_size: 0 B → 1.00 GiB');
    expect(describeChange({ kind: 'changed', object: 'namespace0.0', object_type: 'namespace', field: 'map', from: undefined, to: 'dev' }))
      .toBe('namespace0.0 map: absent → dev');
  });
});
