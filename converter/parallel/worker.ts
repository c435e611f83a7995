/**
 * The worker side of the pool: one task at a time (the pool never sends a second before the
 * reply), results posted with their buffers transferred, errors as PandaError payloads.
 */
import type { MessagePort } from 'node:worker_threads';
import { toErrorPayload } from '../../src/core/errors';

export interface TasksModule {
  runTask(task: unknown): { result: unknown; transfer: ArrayBuffer[] } | Promise<{ result: unknown; transfer: ArrayBuffer[] }>;
}

export async function serve(port: MessagePort | null, data: { tasks: string }): Promise<void> {
  if (!port) throw new Error('converter/parallel/worker.ts runs only as a worker thread');
  const mod = (await import(data.tasks)) as TasksModule;
  port.on('message', async (m: { id: number; task: unknown }) => {
    try {
      const { result, transfer } = await mod.runTask(m.task);
      port.postMessage({ id: m.id, ok: true, result }, transfer);
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, error: toErrorPayload(e) });
    }
  });
}
