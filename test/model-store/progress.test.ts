import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/model-store/progress';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('ProgressTracker', () => {
  it('reports totals, rate from fetched bytes only, and ETA', () => {
    const c = clock();
    const p = new ProgressTracker(
      [
        { path: 'a', size: 1000, loaded: 400, status: 'queued' }, // 400 resumed from storage
        { path: 'b', size: 600, loaded: 600, status: 'cached' },
      ],
      c.now,
    );
    let s = p.snapshot();
    expect(s).toMatchObject({ loaded: 1000, total: 1600, rate: 0, etaSeconds: null });
    c.advance(1000);
    p.add('a', 100);
    c.advance(1000);
    p.add('a', 100);
    s = p.snapshot();
    expect(s.loaded).toBe(1200);
    expect(s.rate).toBeCloseTo(100, 5); // 200 bytes in 2 s; the 400 resumed bytes do not count
    expect(s.etaSeconds).toBeCloseTo(4, 5); // 400 left at 100 B/s
    expect(s.files.find((f) => f.path === 'a')).toMatchObject({ loaded: 600, status: 'downloading' });
  });

  it('forgets old samples so the rate follows the current speed', () => {
    const c = clock();
    const p = new ProgressTracker([{ path: 'a', size: 1e9, loaded: 0, status: 'queued' }], c.now);
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      p.add('a', 1_000_000); // 1 MB/s
    }
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      p.add('a', 100_000); // then 100 kB/s
    }
    expect(p.snapshot().rate).toBeGreaterThan(90_000);
    expect(p.snapshot().rate).toBeLessThan(150_000);
  });

  it('restart to zero and completion update loaded bytes; ETA is 0 when done', () => {
    const c = clock();
    const p = new ProgressTracker([{ path: 'a', size: 10, loaded: 5, status: 'queued' }], c.now);
    p.setLoaded('a', 0);
    expect(p.snapshot().loaded).toBe(0);
    p.setStatus('a', 'done');
    expect(p.snapshot()).toMatchObject({ loaded: 10, etaSeconds: 0 });
    expect(() => p.add('zzz', 1)).toThrow();
  });
});
