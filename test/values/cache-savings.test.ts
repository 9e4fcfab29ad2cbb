import { describe, expect, it } from 'vitest';
import { describeCacheSavings, formatBytes } from '../../src/values/cache-savings.js';

describe('cache savings text', () => {
  it('says how many copies crossed the uplink and how many were served', () => {
    const text = describeCacheSavings({
      upstreamCopies: 1,
      served: 480,
      upstreamBytes: 40 * 1024 * 1024,
      servedBytes: 480 * 40 * 1024 * 1024,
      storedFiles: 1,
      storedBytes: 40 * 1024 * 1024,
    });
    expect(text).toBe('1 upstream copy, 480 served (40.0 MiB in, 18.8 GiB out)');
  });

  it('uses the plural for anything but one copy', () => {
    const none = {
      upstreamCopies: 0,
      served: 0,
      upstreamBytes: 0,
      servedBytes: 0,
      storedFiles: 0,
      storedBytes: 0,
    };
    expect(describeCacheSavings(none)).toBe('0 upstream copies, 0 served (0 B in, 0 B out)');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 ** 5 * 3)).toBe('3072.0 TiB');
  });
});
