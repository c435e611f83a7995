import { describe, expect, it } from 'vitest';
import { PandaError, toErrorPayload } from '../../src/core/errors';
import { toPandaError, WorkerHost } from '../../src/app/workers/worker-host';
import { fakeWorker } from './fake-worker';

describe('WorkerHost', () => {
  it('keeps error codes across the boundary', async () => {
    const api = { fail: async () => Promise.reject(toErrorPayload(new PandaError('MEDIA_CORRUPT', 'bad file', { f: 1 }))) };
    const host = new WorkerHost<typeof api>(() => fakeWorker(api) as unknown as Worker, () => undefined);
    const err = await host.call((a) => a.fail()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PandaError);
    expect(err).toMatchObject({ code: 'MEDIA_CORRUPT', message: 'bad file', details: { f: 1 } });
    host.terminate();
  });

  it('a crash rejects the call in flight, reports it, and the next call gets a fresh worker', async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    const api = { hang: () => new Promise<number>(() => undefined), ping: async () => 'pong' };
    const crashes: PandaError[] = [];
    const host = new WorkerHost<typeof api>(
      () => {
        const w = fakeWorker(api);
        workers.push(w);
        return w as unknown as Worker;
      },
      (e) => crashes.push(e),
    );
    const inFlight = host.call((a) => a.hang());
    await new Promise((r) => setTimeout(r, 10));
    workers[0]!.crash();
    await expect(inFlight).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/crashed \(boom\).*conversation is kept/) });
    expect(crashes).toHaveLength(1);
    expect(workers[0]!.terminated).toBe(true);
    workers[0]!.crash(); // a late event from the dead worker is ignored
    expect(crashes).toHaveLength(1);
    expect(await host.call((a) => a.ping())).toBe('pong');
    expect(workers).toHaveLength(2);
    host.terminate();
  });

  it('fail() (e.g. GPU device lost) is reported as the typed error', async () => {
    const api = { ping: async () => 'pong' };
    const crashes: PandaError[] = [];
    const host = new WorkerHost<typeof api>(() => fakeWorker(api) as unknown as Worker, (e) => crashes.push(e));
    await host.call((a) => a.ping());
    host.fail(new PandaError('GPU_DEVICE_LOST', 'lost'));
    expect(crashes.map((c) => c.code)).toEqual(['GPU_DEVICE_LOST']);
    host.terminate();
  });

  it('turns plain errors and payloads into PandaErrors', () => {
    expect(toPandaError(new TypeError('x'))).toMatchObject({ code: 'INTERNAL', details: { originalName: 'TypeError' } });
    expect(toPandaError({ name: 'PandaError', code: 'ABORTED', message: 'Stopped.', details: {} })).toMatchObject({ code: 'ABORTED' });
  });
});
