/**
 * npm run convert -- --vicuna DIR --delta FILE.pt --out DIR [options]
 *
 * Converts Vicuna v0 + a PandaGPT delta (+ ImageBind) into a bundle folder. Progress goes to
 * stderr; errors print their PandaError message and exit with code 1.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { convertPandaGpt } from '../converter/bundle/convert';
import { isPandaError, PandaError } from '../src/core/errors';
import { downloadedFiles, type WeightFormat } from '../src/core/manifest';

export const HELP = `Convert Vicuna v0 + a PandaGPT delta into a browser bundle.

  npm run convert -- --vicuna DIR --delta FILE.pt --out DIR [options]

Required:
  --vicuna DIR            HF LLaMA-1 / Vicuna v0 folder (config.json, pytorch_model*.bin or
                          *.safetensors, tokenizer.model)
  --delta FILE.pt         PandaGPT delta (pytorch_model.pt: llama_proj + LoRA of q/k/v/o)
  --out DIR               bundle folder to create (replaced atomically if it holds a bundle)

Options:
  --quant q4|fp16|fp32    decoder weights (default q4). q4 also writes an fp32 decoder for the
                          wasm backend when that is under 2 GB; fp16 needs WebGPU with shader-f16
  --lora-alpha N          LoRA alpha (default 32, PandaGPT's value); scaling = alpha / rank
  --imagebind FILE.pth    also convert ImageBind-Huge (imagebind_huge.pth)
  --imagebind-config F    ImageBind constructor kwargs JSON (for non-Huge checkpoints)
  --imagebind-quant Q     ImageBind formats: fp32 | auto (default) | all | imagebind-{fp32,q8,q4},...
  --name NAME             bundle name shown in the app
  --notice TEXT           notice shown in the app (e.g. licence or "random weights")
  --embed-tokens E        token embeddings: q8 (int8 rows + a scale each, half the bytes of fp16,
                          not bit-exact), f16 (the checkpoint's values) or auto (default: q8 when
                          every decoder is q4, as for 7B/13B --quant q4; else exact)
  --labels FILE.json      zero-shot labels the model knows (a JSON array of strings) for the
                          app's tags; without it the app uses a generic everyday list
  --lm-head F             lm_head of a q4 decoder: fp16 (default, the checkpoint's values) or q4
                          (0.19 GB less for 7B; on PandaGPT-nano's quality gate first tokens and
                          accuracy held, mean KL 7.8e-4 vs 6.5e-4; real-model margins unmeasured)
  --layers-per-group N    decoder layers per graph (default: one graph up to 1 GiB, else groups of
                          about 0.6 GB, so the page creates one session at a time); 0 = one graph
  --threads N             worker threads for quantisation, LoRA merge, fp16 and hashing
                          (default: every core, here ${availableParallelism()}); 1 = all on one thread.
                          The bundle is byte-identical whatever N
  -h, --help              this help
`;

export interface CliIo {
  stderr: (line: string) => void;
  stdout: (line: string) => void;
}

const FORMATS: WeightFormat[] = ['q4', 'fp16', 'fp32'];

function usage(msg: string): never {
  throw new PandaError('CONVERT_FAILED', `${msg}\nRun \`npm run convert -- --help\` for usage.`);
}

/** A JSON array of non-empty strings: the zero-shot labels a bundle ships. */
export function readLabels(path: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    usage(`--labels ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((x) => typeof x === 'string' && x.trim().length > 0)) {
    usage(`--labels ${path} must hold a JSON array of non-empty strings, e.g. ["a dog", "a cat"].`);
  }
  return raw as string[];
}

/** Parses argv and converts; returns the process exit code. */
export async function runConvert(argv: string[], io: CliIo = { stderr: (l) => process.stderr.write(l + '\n'), stdout: (l) => process.stdout.write(l + '\n') }): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          vicuna: { type: 'string' },
          delta: { type: 'string' },
          out: { type: 'string' },
          quant: { type: 'string', default: 'q4' },
          'lora-alpha': { type: 'string' },
          imagebind: { type: 'string' },
          'imagebind-config': { type: 'string' },
          'imagebind-quant': { type: 'string' },
          name: { type: 'string' },
          notice: { type: 'string' },
          labels: { type: 'string' },
          'embed-tokens': { type: 'string' },
          threads: { type: 'string' },
          'layers-per-group': { type: 'string' },
          'lm-head': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
      });
    } catch (e) {
      usage((e as Error).message);
    }
    const a = parsed.values;
    if (a.help) {
      io.stdout(HELP);
      return 0;
    }
    if (!a.vicuna || !a.delta || !a.out) usage('--vicuna, --delta and --out are required.');
    if (!FORMATS.includes(a.quant as WeightFormat)) usage(`--quant must be one of ${FORMATS.join(', ')} (got ${a.quant}).`);
    let loraAlpha: number | undefined;
    if (a['lora-alpha'] !== undefined) {
      loraAlpha = Number(a['lora-alpha']);
      if (!Number.isFinite(loraAlpha) || loraAlpha <= 0) usage(`--lora-alpha must be a positive number (got ${a['lora-alpha']}).`);
    }
    const labels = a.labels === undefined ? undefined : readLabels(a.labels);
    const embedTokens = a['embed-tokens'];
    if (embedTokens !== undefined && embedTokens !== 'q8' && embedTokens !== 'f16' && embedTokens !== 'auto') usage(`--embed-tokens must be q8, f16 or auto (got ${embedTokens}).`);
    const threads = a.threads === undefined ? availableParallelism() : Number(a.threads);
    if (!Number.isInteger(threads) || threads < 1) usage(`--threads must be a positive integer (got ${a.threads}).`);
    const lmHead = a['lm-head'];
    if (lmHead !== undefined && lmHead !== 'fp16' && lmHead !== 'q4') usage(`--lm-head must be fp16 or q4 (got ${lmHead}).`);
    if (lmHead !== undefined && a.quant !== 'q4') usage('--lm-head applies to --quant q4 only.');
    const lpg = a['layers-per-group'];
    const layersPerGroup = lpg === undefined ? undefined : Number(lpg);
    if (layersPerGroup !== undefined && !(Number.isInteger(layersPerGroup) && layersPerGroup >= 0)) usage(`--layers-per-group must be a whole number ≥ 0 (got ${lpg}).`);
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const m = await convertPandaGpt({
      vicunaDir: a.vicuna,
      deltaPath: a.delta,
      outDir: a.out,
      quant: a.quant as WeightFormat,
      loraAlpha,
      imagebind: a.imagebind,
      imagebindConfig: a['imagebind-config'],
      imagebindQuant: a['imagebind-quant'],
      name: a.name,
      notice: a.notice,
      labels,
      embedTokens: embedTokens as 'auto' | 'q8' | 'f16' | undefined,
      threads,
      layersPerGroup,
      lmHeadFormat: lmHead as WeightFormat | undefined,
      onProgress: (msg) => io.stderr(`[convert] ${msg}`),
    });
    const bytes = Object.values(m.files).reduce((s, f) => s + f.size, 0);
    // CPU time of the whole process: every worker thread included.
    const wall = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    io.stderr(`[convert] done in ${wall.toFixed(1)} s (CPU ${cpuS.toFixed(1)} s = ${((100 * cpuS) / wall).toFixed(0)} %, ${threads} thread${threads > 1 ? 's' : ''}): ${Object.keys(m.files).length} files, ${(bytes / 1e6).toFixed(1)} MB (the page downloads ${(downloadedFiles(m).reduce((s, [, f]) => s + f.size, 0) / 1e6).toFixed(1)} MB)`);
    return 0;
  } catch (e) {
    io.stderr(isPandaError(e) ? `error [${e.code}]: ${e.message}` : `error: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}

const isMain = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (isMain) process.exitCode = await runConvert(process.argv.slice(2));
