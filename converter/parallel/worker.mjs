/**
 * Worker entry of converter/parallel/pool.ts. Plain JavaScript on purpose: Node 20 gives worker
 * threads none of the parent's loader hooks, so this file registers tsx itself and then loads the
 * TypeScript worker loop (and the tasks module it is told to serve).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serve } = await import('./worker.ts');
await serve(parentPort, workerData);
