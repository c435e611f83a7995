/**
 * npm run build:model — converts the checkpoints the project ships into bundles:
 *
 * - `public/models/builtin/`: **PandaGPT-nano** (training/out/, trained by training/run.sh), the model
 *   the app opens with. One fp32 decoder for every backend (it reproduces the Python evaluation's
 *   greedy answers) whose lm_head and the token embeddings are stored fp16 (the Vicuna shards are
 *   fp16, so this is lossless), fp32 media encoders and a q8 text encoder.
 * - `.cache/bundles/fixture/`: the random-weight test fixture (test/fixtures/pandagpt-tiny), whose
 *   reference outputs the engine-parity e2e tests compare against. Not shipped.
 *
 * Runs on every `npm run build`, so it skips a bundle when a stamp of its inputs (content hashes of
 * the checkpoints and of the converter sources) matches the last build and all its files are present.
 *
 *   --force      rebuild even when up to date
 *   --out DIR    where to write the built-in bundle (tests)
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertPandaGpt } from '../converter/bundle/convert';
import { type DecoderPlan, decoderFile } from '../converter/bundle/plan';
import { isPandaError } from '../src/core/errors';
import { parseManifest, type WeightFormat } from '../src/core/manifest';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
export const NANO_DIR = join(ROOT, 'training/out');
export const BUILTIN_DIR = join(ROOT, 'public/models/builtin');
export const FIXTURE_BUNDLE_DIR = join(ROOT, '.cache/bundles/fixture');
export const BUILTIN_NOTICE =
  'PandaGPT-nano: a tiny demonstration model trained by this project on a synthetic world (coloured shapes, tones, chirps, beeps, spoken colour words, heat maps, depth maps, motion traces). It knows nothing else. Load real PandaGPT weights for real answers (see README).';
export const FIXTURE_NOTICE = 'Tiny test model with random weights: its answers are meaningless (engine tests only).';
const STAMP = '.build-stamp.json';

/** A PandaGPT checkpoint set (the real layouts) and how to convert it. */
export interface ModelSource {
  vicunaDir: string;
  deltaPath: string;
  imagebind: string;
  imagebindConfig: string;
  /** Decides the token-embedding dtype (fp32 → f32, otherwise f16). */
  quant: WeightFormat;
  /** ImageBind encoder formats (converter/imagebind/formats.ts). */
  imagebindQuant: string;
  decoders: DecoderPlan[];
  name: string;
  notice: string;
  /** Zero-shot labels the model knows (PandaGPT-nano: its world's things, sounds and activities). */
  labels?: string[];
}

const ALL_BACKENDS: DecoderPlan['backends'] = ['wasm', 'cpu', 'webgpu'];

/** PandaGPT-nano with one of its deltas: `pandagpt` (final) or `pandagpt-zeroshot` (image instructions only). */
export function nanoSource(delta: 'pandagpt' | 'pandagpt-zeroshot' = 'pandagpt'): ModelSource {
  return {
    vicunaDir: join(NANO_DIR, 'vicuna'),
    deltaPath: join(NANO_DIR, delta, 'pytorch_model.pt'),
    imagebind: join(NANO_DIR, 'imagebind/imagebind.pth'),
    imagebindConfig: join(NANO_DIR, 'imagebind/config.json'),
    quant: 'fp16',
    // fp32 media encoders reproduce the Python evaluation exactly (q8 flipped 4 of 769 answers);
    // the text encoder (zero-shot tags only) is mostly its 49408-row token table: q8.
    imagebindQuant: 'fp32,text=q8',
    // lm_head stored fp16 (as in the Vicuna shards) and widened in the graph: 8 MB instead of 16.
    // One layer per graph: the built-in model runs the layer-group path that real 7B/13B bundles
    // take (every app e2e test exercises it); the fixture bundle keeps the one-graph path.
    decoders: [{ format: 'fp32', fileName: decoderFile('fp32'), backends: ALL_BACKENDS, lmHeadFormat: 'fp16', layersPerGroup: 1 }],
    name: delta === 'pandagpt' ? 'PandaGPT-nano (built-in demonstration model)' : 'PandaGPT-nano, zero-shot delta (image instructions only)',
    notice: BUILTIN_NOTICE,
    labels: JSON.parse(readFileSync(join(ROOT, 'training/labels.json'), 'utf8')) as string[],
  };
}

const FIXTURE = join(ROOT, 'test/fixtures/pandagpt-tiny');
export const FIXTURE_SOURCE: ModelSource = {
  vicunaDir: join(FIXTURE, 'vicuna'),
  deltaPath: join(FIXTURE, 'pandagpt/pytorch_model.pt'),
  imagebind: join(FIXTURE, 'imagebind/imagebind.pth'),
  imagebindConfig: join(FIXTURE, 'imagebind/config.json'),
  quant: 'fp32',
  imagebindQuant: 'fp32',
  // fp32 reproduces the reference exactly on every backend; q4 is there to exercise MatMulNBits.
  decoders: [
    { format: 'fp32', fileName: decoderFile('fp32'), backends: ALL_BACKENDS },
    { format: 'q4', fileName: decoderFile('q4'), backends: [] },
  ],
  name: 'PandaGPT tiny (random-weight test fixture)',
  notice: FIXTURE_NOTICE,
};

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** One hash over a model's checkpoints, its conversion options and every source file that shapes the bundle. */
export function inputsHash(src: ModelSource): string {
  const inputs = [
    ...filesUnder(src.vicunaDir),
    src.deltaPath,
    src.imagebind,
    src.imagebindConfig,
    ...filesUnder(join(ROOT, 'converter')),
    join(ROOT, 'cli/build-builtin.ts'),
    join(ROOT, 'src/core/manifest.ts'),
  ].sort();
  const h = createHash('sha256');
  h.update(JSON.stringify({ ...src, vicunaDir: relative(ROOT, src.vicunaDir), deltaPath: relative(ROOT, src.deltaPath), imagebind: relative(ROOT, src.imagebind), imagebindConfig: relative(ROOT, src.imagebindConfig) }));
  for (const f of inputs) {
    h.update(relative(ROOT, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

function upToDate(out: string, hash: string): boolean {
  try {
    const stamp = JSON.parse(readFileSync(join(out, STAMP), 'utf8')) as { inputs?: string };
    if (stamp.inputs !== hash) return false;
    const m = parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8'));
    return Object.entries(m.files).every(([f, info]) => existsSync(join(out, f)) && statSync(join(out, f)).size === info.size);
  } catch {
    return false; // no stamp or no valid bundle yet: build it
  }
}

export interface BuildOptions {
  out?: string;
  force?: boolean;
  log?: (msg: string) => void;
}

/** Converts `src` into `out` unless the stamp says it is up to date. */
export async function buildBundle(src: ModelSource, out: string, opts: BuildOptions = {}): Promise<'built' | 'up-to-date'> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[build:model] ${m}\n`));
  const hash = inputsHash(src);
  if (!opts.force && upToDate(out, hash)) {
    log(`${relative(ROOT, out) || out} is up to date`);
    return 'up-to-date';
  }
  await convertPandaGpt({
    vicunaDir: src.vicunaDir,
    deltaPath: src.deltaPath,
    outDir: out,
    quant: src.quant,
    decoders: src.decoders,
    imagebind: src.imagebind,
    imagebindConfig: src.imagebindConfig,
    imagebindQuant: src.imagebindQuant,
    name: src.name,
    notice: src.notice,
    labels: src.labels,
    onProgress: log,
  });
  await writeFile(join(out, STAMP), JSON.stringify({ inputs: hash }, null, 2) + '\n');
  log(`wrote ${relative(ROOT, out) || out}`);
  return 'built';
}

/** The app's built-in model: PandaGPT-nano (final delta). */
export function buildBuiltin(opts: BuildOptions = {}): Promise<'built' | 'up-to-date'> {
  return buildBundle(nanoSource('pandagpt'), opts.out ?? BUILTIN_DIR, opts);
}

/** The random-weight fixture as a bundle, for tests that compare against its reference outputs. */
export function buildFixtureBundle(opts: BuildOptions = {}): Promise<'built' | 'up-to-date'> {
  return buildBundle(FIXTURE_SOURCE, opts.out ?? FIXTURE_BUNDLE_DIR, opts);
}

const isMain = process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1]);
if (isMain) {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, out: { type: 'string' } } });
  try {
    await buildBuiltin({ force: values.force, out: values.out });
    if (!values.out) await buildFixtureBundle({ force: values.force });
  } catch (e) {
    process.stderr.write(isPandaError(e) ? `error [${e.code}]: ${e.message}\n` : `error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
