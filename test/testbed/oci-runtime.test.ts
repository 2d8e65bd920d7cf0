import { mkdirSync, mkdtempSync, rmSync, utimesSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneUnpackCache } from './oci-runtime.ts';

describe('pruneUnpackCache', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('removes unpacked images unused for two hours, never the one in use', () => {
    const cache = mkdtempSync(join(tmpdir(), 'acme6-unpack-cache-'));
    dirs.push(cache);
    const now = Date.now();
    const entry = (name: string, ageMs: number): string => {
      const path = join(cache, name);
      mkdirSync(join(path, 'rootfs'), { recursive: true });
      const at = new Date(now - ageMs);
      utimesSync(path, at, at);
      return path;
    };
    const current = entry('sha256-current', 5 * 3600_000);
    const recent = entry('sha256-recent', 60_000);
    const old = entry('sha256-old', 3 * 3600_000);
    const abandoned = entry('.unpacking-x', 3 * 3600_000);
    pruneUnpackCache(cache, current, now);
    expect([current, recent].map(existsSync)).toEqual([true, true]);
    expect([old, abandoned].map(existsSync)).toEqual([false, false]);
  });

  it('accepts a cache directory that does not exist yet', () => {
    expect(() => pruneUnpackCache(join(tmpdir(), 'acme6-no-such-cache'), '')).not.toThrow();
  });
});
