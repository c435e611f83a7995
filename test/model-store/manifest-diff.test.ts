import { describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src/core/manifest';
import { diffManifests, manifestHashes } from '../../src/model-store/manifest-diff';

const H = (c: string) => c.repeat(64);
const m = (files: Record<string, [number, string]>) =>
  ({ files: Object.fromEntries(Object.entries(files).map(([p, [size, h]]) => [p, { size, sha256: H(h) }])) }) as unknown as BundleManifest;

describe('manifest diff', () => {
  it('classifies files by content', () => {
    const d = diffManifests(m({ a: [10, 'a'], b: [20, 'b'], gone: [5, 'c'] }), m({ a: [10, 'a'], b: [21, 'd'], new: [7, 'e'] }));
    expect(d).toEqual({ added: ['new'], removed: ['gone'], changed: ['b'], unchanged: ['a'], changedBytes: 28 });
  });
  it('everything is added when nothing was cached', () => {
    expect(diffManifests(null, m({ a: [10, 'a'] }))).toMatchObject({ added: ['a'], changedBytes: 10 });
  });
  it('lists distinct hashes', () => {
    expect([...manifestHashes(m({ a: [1, 'a'], b: [1, 'a'], c: [2, 'c'] }))]).toEqual([H('a'), H('c')]);
  });
});
