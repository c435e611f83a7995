/**
 * npm run chat -- --bundle DIR --prompt TEXT [media flags] [sampling flags] [--json]
 *
 * Runs the same engine as the browser worker, on onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LlmEngine } from '../src/core/engine/llm-engine';
import type { ChatTurn, MediaEmbedding, SamplingParams } from '../src/core/engine/types';
import { PandaError } from '../src/core/errors';
import { MODALITIES, type Modality, type WeightFormat } from '../src/core/manifest';
import type { Backend } from '../src/core/ort';
import { embedMediaFiles, parseMediaEmbeddingJson, type MediaFileArg } from './media-args';
import { exitWithError, nodeOrt, nodeSessionOptions, openBundle } from './node-runtime';

const HELP = `Chat with a PandaGPT bundle on onnxruntime-node.

  npm run chat -- --bundle DIR --prompt TEXT [options]

Media (each repeatable; all media are projected and summed into one token, as PandaGPT does):
  --image FILE  --audio FILE  --video FILE  --thermal FILE  --depth FILE  --imu FILE
  --weight W             weight of the media flag that precedes it (multimodal arithmetic; default 1)
  --media-embedding F    JSON with ImageBind vectors (before llama_proj): [..], [[..],..] or
                         [{"modality":"image","vector":[..],"weight":1}]

Conversation:
  --prompt TEXT          the user message (required)
  --history FILE         JSON [{"user": "...", "assistant": "..."}] of earlier turns

Sampling (defaults from the bundle: PandaGPT's demo values):
  --greedy  --seed N  --temperature T  --top-p P  --top-k K  --max-new-tokens N

Runtime:
  --backend cpu|webgpu   onnxruntime-node execution provider (default cpu)
  --variant q4|fp16|fp32 decoder weights (default: the bundle's choice for the backend)
  --threads N            intra-op threads
  --json                 print {"tokens": [...], "text": ..., "timings": {...}} at the end
                         (without it the answer streams to stdout)
`;

function parseHistory(file: string): ChatTurn[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PandaError('MEDIA_CORRUPT', `--history ${file} could not be read as JSON (${(e as Error).message}).`);
  }
  if (!Array.isArray(raw) || !raw.every((t) => typeof t?.user === 'string' && typeof t?.assistant === 'string')) {
    throw new PandaError('MEDIA_BAD_SHAPE', `--history ${file} must be [{"user": "...", "assistant": "..."}].`);
  }
  return raw as ChatTurn[];
}

/** Media flags in command-line order, each with the --weight that follows it. */
function mediaArgs(argv: string[]): MediaFileArg[] {
  const out: MediaFileArg[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--/, '');
    if ((MODALITIES as readonly string[]).includes(flag) && argv[i + 1] !== undefined) {
      out.push({ modality: flag as Modality, file: argv[i + 1]!, weight: 1 });
      i++;
    } else if (flag === 'weight' && argv[i + 1] !== undefined) {
      const last = out[out.length - 1];
      if (!last) throw new PandaError('MEDIA_BAD_SHAPE', '--weight must follow a media flag such as --image FILE.');
      last.weight = Number(argv[i + 1]);
      i++;
    }
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const media = Object.fromEntries(MODALITIES.map((m) => [m, { type: 'string' as const, multiple: true }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string' },
      prompt: { type: 'string' },
      history: { type: 'string' },
      'media-embedding': { type: 'string', multiple: true },
      weight: { type: 'string', multiple: true },
      greedy: { type: 'boolean' },
      seed: { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      'max-new-tokens': { type: 'string' },
      backend: { type: 'string' },
      variant: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...media,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.bundle || values.prompt === undefined) throw new PandaError('INTERNAL', 'need --bundle DIR and --prompt TEXT (see --help)');
  const backend = (values.backend ?? 'cpu') as Backend;
  if (backend !== 'cpu' && backend !== 'webgpu') throw new PandaError('BACKEND_UNAVAILABLE', `--backend ${backend}: use cpu or webgpu.`);
  const bundle = openBundle(values.bundle);
  const sessionOptions = nodeSessionOptions(backend, values.threads ? Number(values.threads) : undefined);
  const gen = bundle.manifest.llm.generation;
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v));
  const params: SamplingParams = {
    maxNewTokens: num(values['max-new-tokens'], gen.maxNewTokens),
    temperature: num(values.temperature, gen.temperature),
    topP: num(values['top-p'], gen.topP),
    topK: num(values['top-k'], gen.topK),
    greedy: values.greedy ?? false,
    seed: values.seed === undefined ? undefined : Number(values.seed),
  };

  const vectors: MediaEmbedding[] = [];
  for (const f of values['media-embedding'] ?? []) vectors.push(...parseMediaEmbeddingJson(readFileSync(f, 'utf8'), f));
  const files = mediaArgs(argv);
  if (files.length) vectors.push(...(await embedMediaFiles(bundle, files, backend, sessionOptions)));

  const engine = await LlmEngine.load({
    ort: nodeOrt,
    manifest: bundle.manifest,
    readFile: bundle.readFile,
    loadPart: bundle.loadPart,
    backend,
    variant: values.variant as WeightFormat | undefined,
    sessionOptions,
  });
  const result = await engine.generate(
    { prompt: values.prompt, history: values.history ? parseHistory(values.history) : [], media: vectors, params },
    { onToken: values.json ? undefined : (e) => process.stdout.write(e.delta) },
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ tokens: result.tokens, text: result.text, stopReason: result.stopReason, variant: engine.variant.format, timings: result.timings })}\n`);
  } else {
    process.stdout.write('\n');
    const t = result.timings;
    process.stderr.write(`[${engine.variant.format} on ${backend}] ${t.generatedTokens} tokens, ${t.tokensPerSecond.toFixed(1)} tok/s, first token ${t.timeToFirstTokenMs.toFixed(0)} ms (${result.stopReason})\n`);
  }
  await engine.dispose();
}

main().catch(exitWithError);
