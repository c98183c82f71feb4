import { describe, expect, it } from 'vitest';
import { formatBytes, formatChangeValue, formatExactBytes, formatRelativeTime } from './format';

describe('formatBytes', () => {
  it('prints binary units with two decimals, like ndctl list -u', () => {
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.00 GiB');
    expect(formatBytes(2 * 1024 ** 2)).toBe('2.00 MiB');
    expect(formatBytes(1.5 * 1024 ** 4)).toBe('1.50 TiB');
    expect(formatBytes(4_225_761_280)).toBe('3.94 GiB');
  });
  it('keeps small sizes in bytes and switches unit at 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1024 ** 2 - 1)).toBe('1024.00 KiB');
    expect(formatBytes(1024 ** 2)).toBe('1.00 MiB');
  });
  it('gives exact bytes with separators for tooltips', () => {
    expect(formatExactBytes(4_294_967_296)).toBe('4,294,967,296 bytes');
    expect(formatExactBytes(1)).toBe('1 byte');
  });
});

describe('formatRelativeTime', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  it('reads like an operator would say it', () => {
    expect(formatRelativeTime(ago(1000), now)).toBe('just now');
    expect(formatRelativeTime(ago(42_000), now)).toBe('42 s ago');
    expect(formatRelativeTime(ago(3 * 60_000 + 20_000), now)).toBe('3 min ago');
    expect(formatRelativeTime(ago(5 * 3_600_000), now)).toBe('5 h ago');
    expect(formatRelativeTime(ago(3 * 86_400_000), now)).toBe('3 d ago');
  });
  it('treats a timestamp slightly in the future (clock skew) as just now', () => {
    expect(formatRelativeTime(new Date(now.getTime() + 2000), now)).toBe('just now');
  });
});

describe('formatChangeValue', () => {
  it('formats sizes by field name and leaves other values as they are', () => {
    expect(formatChangeValue(2 * 1024 ** 3, 'size')).toBe('2.00 GiB');
    expect(formatChangeValue(4096, 'sector_size')).toBe('4096');
    expect(formatChangeValue('fsdax', 'mode')).toBe('fsdax');
    expect(formatChangeValue(undefined, 'map')).toBe('absent');
    expect(formatChangeValue(['nmem0', 'nmem1'], 'dimms')).toBe('nmem0, nmem1');
    expect(formatChangeValue([{ offset: 1000, length: 8 }, { offset: 2000, length: 16, dimms: ['nmem0'] }], 'badblocks'))
      .toBe('1000+8, 2000+16');
    expect(formatChangeValue([], 'badblocks')).toBe('none');
  });
});
