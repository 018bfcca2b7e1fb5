import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/shared/bytes.js';

describe('formatBytes', () => {
  it('gives a size in the largest unit it has at least one of, never "0.0 GB" for a small disk', () => {
    expect([0, 512, 2e6, 2.5e9, 3e12].map((n) => formatBytes(n))).toEqual(['0 B', '512 B', '2.0 MB', '2.5 GB', '3.0 TB']);
    // Next to limits in GB of 1024³ bytes (retention.*FreeGB).
    expect([2 * 1024 ** 2, 0.9 * 1024 ** 3, 1.5 * 1024 ** 3].map((n) => formatBytes(n, 1024))).toEqual(['2.0 MB', '921.6 MB', '1.5 GB']);
  });
});
