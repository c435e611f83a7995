/**
 * npm run build:model — converts the tiny fixture model (test/fixtures/pandagpt-tiny) into
 * public/models/builtin/, the bundle the app ships with. Runs on every `npm run build`, so it skips
 * the work when a stamp of the inputs (content hashes of the fixture files and of the converter
 * sources) matches the last build and the bundle's files are all present.
 *
 *   --force      rebuild even when up to date
 *   --out DIR    another output folder (tests)
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertPandaGpt } from '../converter/bundle/convert';
import { decoderFile } from '../converter/bundle/plan';
import { isPandaError } from '../src/core/errors';
import { parseManifest } from '../src/core/manifest';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const FIXTURE = join(ROOT, 'test/fixtures/pandagpt-tiny');
export const BUILTIN_DIR = join(ROOT, 'public/models/builtin');
export const BUILTIN_NOTICE = 'Tiny test model with random weights: its answers are meaningless. Convert real PandaGPT weights to chat for real (see README).';
const STAMP = '.build-stamp.json';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** One hash over the fixture checkpoints and every source file that shapes the bundle. */
export function inputsHash(): string {
  const inputs = [
    ...filesUnder(join(FIXTURE, 'vicuna')),
    join(FIXTURE, 'pandagpt/pytorch_model.pt'),
    ...filesUnder(join(FIXTURE, 'imagebind')),
    ...filesUnder(join(ROOT, 'converter')),
    join(ROOT, 'cli/build-builtin.ts'),
    join(ROOT, 'src/core/manifest.ts'),
  ].sort();
  const h = createHash('sha256');
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

export async function buildBuiltin(opts: { out?: string; force?: boolean; log?: (msg: string) => void } = {}): Promise<'built' | 'up-to-date'> {
  const out = opts.out ?? BUILTIN_DIR;
  const log = opts.log ?? ((m: string) => process.stderr.write(`[build:model] ${m}\n`));
  const hash = inputsHash();
  if (!opts.force && upToDate(out, hash)) {
    log(`${relative(ROOT, out) || out} is up to date`);
    return 'up-to-date';
  }
  const imagebind = join(FIXTURE, 'imagebind/imagebind.pth');
  const withImageBind = existsSync(imagebind);
  await convertPandaGpt({
    vicunaDir: join(FIXTURE, 'vicuna'),
    deltaPath: join(FIXTURE, 'pandagpt/pytorch_model.pt'),
    outDir: out,
    quant: 'fp32',
    // fp32 reproduces the reference exactly on every backend, so it is the default everywhere;
    // q4 ships too (8 MB) for exercising the MatMulNBits path, chosen only on request.
    decoders: [
      { format: 'fp32', fileName: decoderFile('fp32'), backends: ['wasm', 'cpu', 'webgpu'] },
      { format: 'q4', fileName: decoderFile('q4'), backends: [] },
    ],
    ...(withImageBind ? { imagebind, imagebindConfig: join(FIXTURE, 'imagebind/config.json'), imagebindQuant: 'fp32' } : {}),
    name: 'PandaGPT tiny (built-in test model)',
    notice: BUILTIN_NOTICE,
    onProgress: log,
  });
  await writeFile(join(out, STAMP), JSON.stringify({ inputs: hash }, null, 2) + '\n');
  log(`wrote ${relative(ROOT, out) || out}${withImageBind ? '' : ' (no ImageBind checkpoint found: LLM only)'}`);
  return 'built';
}

const isMain = process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1]);
if (isMain) {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, out: { type: 'string' } } });
  try {
    await buildBuiltin({ force: values.force, out: values.out });
  } catch (e) {
    process.stderr.write(isPandaError(e) ? `error [${e.code}]: ${e.message}\n` : `error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
