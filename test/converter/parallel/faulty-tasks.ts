/**
 * A tasks module for pool tests: the real tasks, except that `{ kind: 'exit' }` kills the worker,
 * `{ kind: 'sleep' }` waits, and a q4 LLaMA Linear of shape (n ≠ k) (an MLP weight) throws.
 */
import { runTask as realRunTask } from '../../../converter/parallel/tasks';

export async function runTask(task: unknown): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  const t = task as { kind: string; n?: number; k?: number; format?: string; ms?: number; value?: unknown };
  if (t.kind === 'exit') process.exit(3);
  if (t.kind === 'sleep') {
    await new Promise((r) => setTimeout(r, t.ms));
    return { result: t.value, transfer: [] };
  }
  if (t.kind === 'llama-linear' && t.n !== t.k && t.format === 'q4') throw new Error('injected failure');
  return realRunTask(task);
}
