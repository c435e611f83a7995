/**
 * Converter throughput and peak RSS (issue 2): `npm run convert` (default q4) as a child process on
 * synthetic LLaMA-shaped checkpoints of two sizes, so the table shows whether peak RSS grows with
 * the model (it must not: memory is bounded by the largest tensor).
 */
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleDir, convertChild, ensureCheckpoint, llamaShapes } from '../lib/llama-models';
import type { BenchRow, BenchSuite } from '../types';

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

const suite: BenchSuite = {
  name: 'converter',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const shape of llamaShapes(ctx)) {
      const m = await ensureCheckpoint(ctx, shape);
      ctx.log(`converting ${shape.name}: ${(m.params / 1e9).toFixed(2)}B params, ${(m.inputBytes / 1e6).toFixed(0)} MB input`);
      const r = await convertChild(ctx, m);
      const s = r.wallMs / 1000;
      const c = `${shape.name} (${(m.params / 1e9).toFixed(2)}B, L${shape.layers} H${shape.hidden}) q4`;
      const out = dirBytes(bundleDir(ctx, shape));
      const row = (metric: string, value: number, unit: string, notes?: string): BenchRow => ({ suite: 'converter', case: c, metric, value, unit, ...(notes ? { notes } : {}) });
      rows.push(
        row('wall time', s, 's', 'cli/convert.ts child process (node --import tsx), nice +5, includes node/tsx start'),
        row('throughput', m.params / s / 1e6, 'M params/s'),
        row('input read rate', m.inputBytes / s / 1e6, 'MB/s', `${(m.inputBytes / 1e6).toFixed(0)} MB fp16 shards + delta`),
        row('bundle size', out / 1e6, 'MB', 'q4 decoder (+ fp32 decoder for wasm when < 2 GB) + f16 embeddings + tokenizer'),
      );
      // What memory should scale with: the largest tensor (embed_tokens / lm_head, vocab × hidden) read as fp32.
      const largest = shape.vocab * shape.hidden * 4;
      if (r.peakRssBytes !== null) {
        rows.push(
          row('peak RSS', r.peakRssBytes / 2 ** 20, 'MiB', `VmHWM of the child, polled every 100 ms; model fp16 ${(m.inputBytes / 2 ** 20).toFixed(0)} MiB`),
          row('peak RSS / largest tensor', r.peakRssBytes / largest, '×', `largest tensor ${shape.vocab}×${shape.hidden} fp32 = ${(largest / 2 ** 20).toFixed(0)} MiB`),
        );
      }
    }
    return rows;
  },
};

export default suite;
