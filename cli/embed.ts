/**
 * npm run embed -- --bundle DIR --image|--audio|--video|--thermal|--depth|--imu FILE [--json]
 *
 * Prints the ImageBind vector PandaGPT would feed into llama_proj for one media file, using the
 * same engine as the browser worker, on onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { ImageBindEngine } from '../src/core/encoders/imagebind-engine';
import type { PreprocessedInput } from '../src/core/encoders/types';
import { PandaError } from '../src/core/errors';
import { MODALITIES, type Modality } from '../src/core/manifest';
import type { Backend } from '../src/core/ort';
import { parseNpy } from '../src/preprocess/npy';
import { preprocessFile } from './media-node';
import { exitWithError, nodeOrt, nodeSessionOptions, openBundle } from './node-runtime';

const HELP = `Print the ImageBind embedding PandaGPT projects for one media file.

  npm run embed -- --bundle DIR --image|--audio|--video|--thermal|--depth|--imu FILE [options]
  npm run embed -- --bundle DIR --input-npy FILE --modality M [options]

Options:
  --input-npy FILE     an already preprocessed tensor (ImageBind's batched input, e.g.
                       (1,3,224,224) image, (1,3,1,128,204) audio, (1,15,3,2,224,224) video)
  --modality M         modality of --input-npy: ${MODALITIES.join(', ')}
  --tags "a,b,c"       also print zero-shot tags against these labels (ImageBind text encoder)
  --backend cpu|webgpu onnxruntime-node execution provider (default cpu)
  --format F           encoder weights to use when the bundle has several: fp32, q8, q4
  --threads N          intra-op threads
  --json               print {"modality","dims","norm","vector","tags"} as JSON
  -h, --help           this help
`;

/** Per-item rank of each encoder input (clips leading), to drop ImageBind's batch axis B = 1. */
const ITEM_RANK: Record<Modality, number> = { image: 4, thermal: 4, depth: 4, imu: 3, audio: 4, video: 5 };

function fromNpy(path: string, modality: Modality): PreprocessedInput {
  const npy = parseNpy(new Uint8Array(readFileSync(path)));
  let dims = npy.shape;
  if (dims.length === ITEM_RANK[modality] + 1 && dims[0] === 1) dims = dims.slice(1);
  return { modality, data: Float32Array.from(npy.data), dims };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bundle: { type: 'string' },
      ...Object.fromEntries(MODALITIES.map((m) => [m, { type: 'string' as const }])),
      'input-npy': { type: 'string' },
      modality: { type: 'string' },
      tags: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      format: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.bundle) throw new PandaError('BUNDLE_FILE_MISSING', `--bundle DIR is required.\n\n${HELP}`);
  const v = values as Record<string, string | boolean | undefined>;
  const given = MODALITIES.filter((m) => typeof v[m] === 'string');
  const npyPath = values['input-npy'];
  if (given.length + (npyPath ? 1 : 0) !== 1) throw new PandaError('MEDIA_UNSUPPORTED', `Give exactly one of --${MODALITIES.join(', --')} or --input-npy.`);
  const backend = values.backend as Backend;
  if (backend !== 'cpu' && backend !== 'webgpu') throw new PandaError('BACKEND_UNAVAILABLE', `--backend must be cpu or webgpu (got ${values.backend}).`);

  let input: PreprocessedInput;
  if (npyPath) {
    const m = values.modality as Modality | undefined;
    if (!m || !MODALITIES.includes(m)) throw new PandaError('MEDIA_UNSUPPORTED', `--input-npy needs --modality (${MODALITIES.join(', ')}).`);
    input = fromNpy(npyPath, m);
  } else {
    const m = given[0]!;
    input = await preprocessFile(v[m] as string, m);
  }

  const bundle = openBundle(values.bundle);
  const engine = await ImageBindEngine.load({
    ort: nodeOrt,
    manifest: bundle.manifest,
    readFile: bundle.readFile,
    loadPart: bundle.loadPart,
    gunzip: async (gz) => gunzipSync(gz).toString('utf8'),
    backend,
    format: values.format,
    sessionOptions: nodeSessionOptions(backend, values.threads ? Number(values.threads) : undefined),
  });
  try {
    const vector = await engine.embed(input);
    const labels = (values.tags ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const tags = labels.length ? await engine.zeroShot(vector, labels) : [];
    const norm = Math.hypot(...vector);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ modality: input.modality, dims: input.dims, norm, vector: [...vector], tags })}\n`);
    } else {
      process.stdout.write(`${input.modality} (${input.dims.join('×')}) → ${vector.length}-d vector, norm ${norm.toFixed(6)}\n`);
      process.stdout.write(`[${[...vector].map((x) => x.toFixed(6)).join(', ')}]\n`);
      for (const t of tags) process.stdout.write(`  ${(t.score * 100).toFixed(2).padStart(6)}%  ${t.label}\n`);
    }
  } finally {
    await engine.dispose();
  }
}

main().catch(exitWithError);
