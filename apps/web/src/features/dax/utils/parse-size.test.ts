import { describe, expect, it } from 'vitest';
import { parseSize } from './parse-size';

describe('parseSize', () => {
  it('reads bytes and binary units as ndctl takes them', () => {
    expect(parseSize('4096')).toEqual({ bytes: 4096 });
    expect(parseSize('2M')).toEqual({ bytes: 2 * 1024 ** 2 });
    expect(parseSize('1 GiB')).toEqual({ bytes: 1024 ** 3 });
    expect(parseSize('1.5g')).toEqual({ bytes: 1.5 * 1024 ** 3 });
    expect(parseSize('4k')).toEqual({ bytes: 4096 });
  });
  it('says what is wrong with anything else', () => {
    expect(parseSize('two gigs')).toEqual({ error: expect.stringContaining('is not a size') as unknown });
    expect(parseSize('0')).toEqual({ error: expect.stringContaining('above zero') as unknown });
    expect(parseSize('1.3')).toEqual({ error: expect.stringContaining('whole number') as unknown });
  });
});
