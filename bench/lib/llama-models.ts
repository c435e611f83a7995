/** The synthetic LLaMA models a run uses, and their converted bundles (shared by the converter and decode suites). */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../types';
import { runTsChild, type ChildRun } from './child-rss';
import { ensureSyntheticLlama, LLAMA_1B, LLAMA_SMALL, type LlamaShape, type SyntheticLlama } from './synthetic-llama';

export const TOKENIZER_FIXTURE = 'test/fixtures/pandagpt-tiny/vicuna';

export function llamaShapes(ctx: BenchContext): LlamaShape[] {
  return ctx.quick ? [LLAMA_SMALL] : [LLAMA_SMALL, LLAMA_1B];
}

export function ensureCheckpoint(ctx: BenchContext, s: LlamaShape): Promise<SyntheticLlama> {
  return ensureSyntheticLlama(ctx.workDir, s, join(ctx.root, TOKENIZER_FIXTURE), ctx.log);
}

const ckptStamp = (ctx: BenchContext, s: LlamaShape): string => join(ctx.workDir, s.name, '.bench-stamp.json');
const bundleStamp = (ctx: BenchContext, s: LlamaShape): string => join(ctx.workDir, s.name, '.bundle-stamp.json');

export const bundleDir = (ctx: BenchContext, s: LlamaShape): string => join(ctx.workDir, s.name, 'bundle');

/** Runs `cli/convert.ts` (default --quant q4) as a niced child, polling its peak RSS. */
export async function convertChild(ctx: BenchContext, m: SyntheticLlama): Promise<ChildRun> {
  const run = await runTsChild(ctx.root, 'cli/convert.ts', ['--vicuna', m.vicunaDir, '--delta', m.deltaPath, '--out', bundleDir(ctx, m.shape), '--name', `bench ${m.shape.name}`, '--notice', 'random weights (bench)'], {
    onLine: (l) => /layer \d+\/|done in|error/.test(l) && ctx.log(`${m.shape.name}: ${l}`),
  });
  if (run.code !== 0) throw new Error(`convert ${m.shape.name} failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  // The bundle is as fresh as the checkpoint it came from.
  copyFileSync(ckptStamp(ctx, m.shape), bundleStamp(ctx, m.shape));
  return run;
}

/** The converted bundle of a synthetic model, converting it first when missing. */
export async function ensureBundle(ctx: BenchContext, s: LlamaShape): Promise<string> {
  const dir = bundleDir(ctx, s);
  const read = (f: string): string | null => (existsSync(f) ? readFileSync(f, 'utf8') : null);
  const fresh = existsSync(join(dir, 'manifest.json')) && read(bundleStamp(ctx, s)) !== null && read(bundleStamp(ctx, s)) === read(ckptStamp(ctx, s));
  if (!fresh) {
    const m = await ensureCheckpoint(ctx, s);
    ctx.log(`converting ${s.name} (bundle missing)`);
    await convertChild(ctx, m);
  }
  return dir;
}
