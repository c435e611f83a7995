import { describe, expect, it } from 'vitest';
import { PandaError } from '../../src/core/errors';
import { runPool } from '../../src/model-store/pool';
import { mapQuotaError } from '../../src/model-store/quota';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('runPool', () => {
  it('runs at most `limit` jobs at once and all of them', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, undefined, async (n) => {
      peak = Math.max(peak, ++running);
      await tick();
      running--;
      done.push(n);
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('the first failure aborts the others, starts no new job, and is rethrown', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const err = new Error('boom');
    await expect(
      runPool([1, 2, 3, 4, 5], 2, undefined, async (n, signal) => {
        started.push(n);
        if (n === 1) throw err;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => (aborted.push(n), resolve()), { once: true }));
      }),
    ).rejects.toBe(err);
    expect(started).toEqual([1, 2]);
    expect(aborted).toEqual([2]);
  });

  it('the caller’s abort reaches every running job', async () => {
    const ctrl = new AbortController();
    const p = runPool([1, 2], 2, ctrl.signal, (_n, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))));
    ctrl.abort();
    await expect(p).rejects.toThrow('stopped');
  });
});

describe('mapQuotaError', () => {
  it('turns a DOMException QuotaExceededError into QUOTA_EXCEEDED with choices; other errors pass', () => {
    const q = mapQuotaError(new DOMException('full', 'QuotaExceededError'), 'tiny');
    expect(q).toBeInstanceOf(PandaError);
    expect((q as PandaError).code).toBe('QUOTA_EXCEEDED');
    expect(((q as PandaError).details.choices as string[]).length).toBeGreaterThan(1);
    const other = new Error('x');
    expect(mapQuotaError(other, 'tiny')).toBe(other);
  });
});
