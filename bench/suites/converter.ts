/**
 * Converter throughput and peak RSS (issue 2): `npm run convert` (default q4) as a child process on
 * synthetic LLaMA-shaped checkpoints of two sizes, so the table shows whether peak RSS grows with
 * the model (it must not: memory is bounded by the largest tensor).
 *
 * Each size converts twice in the same run: `--threads` = every core (the default; its bundle is
 * the one the decode suite uses) and `--threads 1` (everything on one thread), for the speed-up of
 * the worker pool; the two bundles must be byte-identical (their manifests list every file's sha256).
 */
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { runTsChild, type ChildRun } from '../lib/child-rss';
import { bundleDir, convertChild, ensureCheckpoint, llamaShapes } from '../lib/llama-models';
import type { SyntheticLlama } from '../lib/synthetic-llama';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

/** CPU seconds of the whole child (worker threads included), from its `done in` line. */
function cpuSeconds(run: ChildRun): number | null {
  const m = /done in [\d.]+ s \(CPU ([\d.]+) s/.exec(run.stderr);
  return m ? Number(m[1]) : null;
}

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' / ');

/** The one-thread conversion, into its own folder (the default bundle stays the all-cores one). */
async function convertOneThread(ctx: BenchContext, m: SyntheticLlama, out: string): Promise<ChildRun> {
  const run = await runTsChild(ctx.root, 'cli/convert.ts', ['--vicuna', m.vicunaDir, '--delta', m.deltaPath, '--out', out, '--name', `bench ${m.shape.name}`, '--notice', 'random weights (bench)', '--threads', '1'], {
    onLine: (l) => /layer \d+\/|done in|error/.test(l) && ctx.log(`${m.shape.name} (1 thread): ${l}`),
  });
  if (run.code !== 0) throw new Error(`convert ${m.shape.name} --threads 1 failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  return run;
}

const suite: BenchSuite = {
  name: 'converter',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const cores = availableParallelism();
    for (const shape of llamaShapes(ctx)) {
      const m = await ensureCheckpoint(ctx, shape);
      ctx.log(`converting ${shape.name}: ${(m.params / 1e9).toFixed(2)}B params, ${(m.inputBytes / 1e6).toFixed(0)} MB input, ${cores} threads then 1`);
      const loadAll = load();
      const all = await convertChild(ctx, m);
      const loadOne = load();
      const oneDir = join(ctx.workDir, shape.name, 'bundle-threads1');
      const one = await convertOneThread(ctx, m, oneDir);
      const loadEnd = load();
      const c = `${shape.name} (${(m.params / 1e9).toFixed(2)}B, L${shape.layers} H${shape.hidden}) q4`;
      const row = (cs: string, metric: string, value: number, unit: string, notes?: string): BenchRow => ({ suite: 'converter', case: cs, metric, value, unit, ...(notes ? { notes } : {}) });
      // What memory should scale with: the largest tensor (embed_tokens / lm_head, vocab × hidden) read as fp32.
      const largest = shape.vocab * shape.hidden * 4;
      for (const [threads, r, loadAt] of [[cores, all, loadAll], [1, one, loadOne]] as const) {
        const cs = `${c}, ${threads} thread${threads > 1 ? 's' : ''}`;
        const s = r.wallMs / 1000;
        const cpu = cpuSeconds(r);
        rows.push(
          row(cs, 'wall time', s, 's', `cli/convert.ts --threads ${threads} child process (node --import tsx), nice +5, includes node/tsx start; load avg 1/5/15 min at start ${loadAt}`),
          row(cs, 'throughput', m.params / s / 1e6, 'M params/s'),
          row(cs, 'input read rate', m.inputBytes / s / 1e6, 'MB/s', `${(m.inputBytes / 1e6).toFixed(0)} MB fp16 shards + delta`),
        );
        if (cpu !== null) {
          rows.push(
            row(cs, 'CPU time', cpu, 's', 'process.cpuUsage() of the child: main + worker threads'),
            row(cs, 'CPU', (100 * cpu) / s, '%', `of one core; ${cores} cores here`),
          );
        }
        if (r.peakRssBytes !== null) {
          rows.push(
            row(cs, 'peak RSS', r.peakRssBytes / 2 ** 20, 'MiB', `VmHWM of the child (worker threads included), polled every 100 ms; model fp16 ${(m.inputBytes / 2 ** 20).toFixed(0)} MiB`),
            row(cs, 'peak RSS / largest tensor', r.peakRssBytes / largest, '×', `largest tensor ${shape.vocab}×${shape.hidden} fp32 = ${(largest / 2 ** 20).toFixed(0)} MiB`),
          );
        }
      }
      const identical = readFileSync(join(bundleDir(ctx, shape), 'manifest.json'), 'utf8') === readFileSync(join(oneDir, 'manifest.json'), 'utf8');
      rows.push(
        row(c, `speed-up ${cores} threads vs 1`, one.wallMs / all.wallMs, '×', `wall time ratio, same run; load avg 1/5/15 min ${loadAll} → ${loadEnd}`),
        row(c, 'bundle size', dirBytes(bundleDir(ctx, shape)) / 1e6, 'MB', 'q4 decoder (+ fp32 decoder for wasm when < 2 GB) + f16 embeddings + tokenizer'),
        row(c, `bundles byte-identical (${cores} threads vs 1)`, identical ? 1 : 0, 'bool', 'manifest.json equal, and it lists every file with its sha256'),
      );
      if (!identical) ctx.log(`WARNING ${shape.name}: the ${cores}-thread bundle differs from the 1-thread bundle (kept in ${oneDir})`);
      else rmSync(oneDir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
