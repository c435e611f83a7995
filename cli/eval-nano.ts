/**
 * npm run eval-nano — PandaGPT-nano on its held-out synthetic test set, through the shipped path:
 * the bundle the app loads (public/models/builtin), our TypeScript preprocessing of the media FILES,
 * the ImageBind encoders and the LLM engine on onnxruntime-node, greedy decoding in PandaGPT's prompt
 * format. The zero-shot delta (image instructions only) is converted beside it and asked the same
 * questions, so both columns come from the same code.
 *
 *   npm run eval-nano [-- --set testset|wild|all] [--only image,audio] [--limit N] [--out FILE] [--threads N]
 *
 * Two sets (same schema): the held-out set training/out/testset/ (the training world's generator, other
 * seed) and the "wild" set training/out/wildset/ (training/wild.py: its own generator — any canvas,
 * background, format, sample rate, noise — plus out-of-world photos, speech and music whose right answer
 * is "I do not know"). `--set` defaults to `all` when training/out/wildset/wildset.json exists.
 *
 * An answer is right when it names every required attribute: for each group of the question's key,
 * one of the group's words appears as a whole word or in its plural (case-insensitive). Output: a markdown
 * table per set and a summary of the issue's targets on stdout, JSON in bench/results/eval-nano.json
 * (gitignored; the wild set's report is its `wild` field), progress on stderr.
 * When training/out/eval.json (the Python evaluation of the same checkpoints) is present, the answers
 * are compared one by one with it (`answers_final` for the held-out set, `answers_wild` for the wild set).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { LlmEngine } from '../src/core/engine/llm-engine';
import type { MediaEmbedding } from '../src/core/engine/types';
import { ImageBindEngine } from '../src/core/encoders/imagebind-engine';
import type { Modality, WeightFormat } from '../src/core/manifest';
import { decoderFile } from '../converter/bundle/plan';
import { BUILTIN_DIR, buildBuiltin, buildBundle, NANO_DIR, nanoSource } from './build-builtin';
import { preprocessFile } from './media-node';
import { exitWithError, nodeOrt, nodeSessionOptions, openBundle } from './node-runtime';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TESTSET_DIR = join(NANO_DIR, 'testset');
export const WILDSET_DIR = join(NANO_DIR, 'wildset');
const ZEROSHOT_DIR = join(ROOT, '.cache/bundles/nano-zeroshot');

type KeyGroups = string[][];
interface TestQuestion {
  type: string;
  question: string;
  reference_answer: string;
  key: KeyGroups;
  image_key?: KeyGroups;
  audio_key?: KeyGroups;
}
interface TestItem {
  id: string;
  modality: string; // image | video | audio | thermal | depth | imu | image+audio
  files: string[];
  /** The item's world spec; out-of-world items (wild set) have kind 'unknown'. */
  spec?: unknown;
  questions: TestQuestion[];
}

/** Whole word (or its plural), case-insensitive: every group must have one of its words in the answer. */
export function namesAll(answer: string, key: KeyGroups): boolean {
  const words = new Set(answer.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  for (const w of [...words]) if (w.endsWith('s')) words.add(w.slice(0, -1)); // "stars" names a star
  return key.every((group) => group.some((w) => w.toLowerCase().split(/\s+/).every((part) => words.has(part))));
}

/** The file's modality inside a (possibly multimodal) test item. */
function fileModality(item: TestItem, file: string): Modality {
  if (item.modality !== 'image+audio') return item.modality as Modality;
  return /\.(wav|mp3|flac|ogg)$/i.test(file) ? 'audio' : 'image';
}

interface Tally {
  n: number;
  zero_shot: number;
  final: number;
}
const tally = (): Tally => ({ n: 0, zero_shot: 0, final: 0 });
const pct = (k: number, n: number): string => (n ? `${Math.round((100 * k) / n)}%` : '–');

/** The question sets eval-nano can run. */
export type NanoSet = 'testset' | 'wild';
interface SetInfo {
  dir: string;
  json: string;
  /** The list in training/out/eval.json with the Python evaluation's final answers for this set. */
  pythonAnswers: 'answers_final' | 'answers_wild';
  title: string;
}
export const NANO_SETS: Record<NanoSet, SetInfo> = {
  testset: { dir: TESTSET_DIR, json: 'testset.json', pythonAnswers: 'answers_final', title: 'Held-out set' },
  wild: { dir: WILDSET_DIR, json: 'wildset.json', pythonAnswers: 'answers_wild', title: 'Wild set' },
};

/** `all` when the wild set has been built (training/wild.py), else the held-out set only. */
export function defaultSets(): 'all' | 'testset' {
  return existsSync(join(WILDSET_DIR, 'wildset.json')) ? 'all' : 'testset';
}

/** The issue's targets, on the final delta's answers (question types summed over the listed modalities; '*' = any). */
export const TARGETS: { target: string; bar: number; types: [string, string][] }[] = [
  { target: 'colour (image)', bar: 0.95, types: [['image', 'colour']] },
  { target: 'shape (image)', bar: 0.9, types: [['image', 'shape']] },
  { target: 'count (image)', bar: 0.85, types: [['image', 'count']] },
  { target: 'position (image)', bar: 0.8, types: [['image', 'position']] },
  { target: 'pitch (audio)', bar: 0.9, types: [['audio', 'pitch']] },
  { target: 'motion (video)', bar: 0.8, types: [['video', 'motion']] },
  { target: 'image+audio: both named', bar: 0.7, types: [['image+audio', 'both']] },
  { target: '"I don\'t know" (unknown)', bar: 0.8, types: [['*', 'unknown']] },
];
export interface TargetRow {
  target: string;
  bar: number;
  n: number;
  right: number;
  /** right / n, or null when the set has no such question. */
  value: number | null;
  met: boolean | null;
}

/** The targets measured on one report (final delta). */
export function targetRows(r: Pick<EvalReport, 'per_question_type'>): TargetRow[] {
  return TARGETS.map(({ target, bar, types }) => {
    let n = 0;
    let right = 0;
    for (const [mod, qt] of types) {
      for (const [m, byType] of Object.entries(r.per_question_type)) {
        if (mod !== '*' && m !== mod) continue;
        const t = byType[qt];
        if (t) {
          n += t.n;
          right += t.final;
        }
      }
    }
    const value = n ? right / n : null;
    return { target, bar, n, right, value, met: value === null ? null : value >= bar };
  });
}

export interface EvalReport {
  what: string;
  /** Which question set this report is about (training/out/testset or training/out/wildset). */
  set: NanoSet;
  dir: string;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; loadavg: number[]; node: string };
  bundle: { final: string; zero_shot: string };
  per_modality: Record<string, Tally>;
  per_question_type: Record<string, Record<string, Tally>>;
  arithmetic_image_plus_audio: Record<'zero_shot' | 'final', { both: number; image_only: number; audio_only: number; neither: number }>;
  python_agreement?: { compared: number; identical: number; differing: { id: string; question: string; node: string; python: string }[] };
  answers: { id: string; type: string; question: string; zero_shot: string; final: string; right_zero_shot: boolean; right_final: boolean }[];
  /** The issue's targets on this set (final delta). */
  targets: TargetRow[];
  /** With `--set all`: the wild set's report, same shape (the top level is the held-out set's). */
  wild?: EvalReport;
}

export interface EvalOptions {
  /** Only these test-set modalities (image, video, audio, thermal, depth, imu, image+audio). */
  only?: string[];
  /** At most this many items per modality (out-of-world items of a modality are counted apart). */
  limit?: number;
  threads?: number;
  log?: (msg: string) => void;
  /** evaluateNano: which question set (default the held-out set). */
  set?: NanoSet;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      limit: { type: 'string' },
      set: { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string' },
      formats: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.formats) {
    const r = await compareNanoFormats({ limit: values.limit ? Number(values.limit) : undefined, only: values.only?.split(','), threads: values.threads ? Number(values.threads) : undefined, log: (m) => void process.stderr.write(`[eval-nano] ${m}\n`) });
    const pc = (k: number): string => `${((100 * k) / r.questions).toFixed(1)} %`;
    process.stdout.write(`| format | questions | identical answers | first-token top-1 | mean KL | max KL | right (fp32) | right (format) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n| ${r.format} | ${r.questions} | ${pc(r.identical)} | ${pc(r.top1)} | ${r.meanKl.toExponential(2)} | ${r.maxKl.toExponential(2)} | ${pc(r.right.fp32)} | ${pc(r.right.format)} |\n`);
    return;
  }
  if (values.help) {
    process.stdout.write(
      'npm run eval-nano [-- --set testset|wild|all] [--only image,audio,image+audio] [--limit N items per modality] [--out FILE] [--threads N]\n' +
        `       --set: the held-out set (training/out/testset), the wild set (training/out/wildset, built by training/wild.py) or both; default ${defaultSets()}\n` +
        '       npm run eval-nano -- --formats [--limit N]   the shipped quantised formats (q4 decoder, q8 encoders) against fp32\n',
    );
    return;
  }
  const which = values.set ?? defaultSets();
  if (!['testset', 'wild', 'all'].includes(which)) throw new Error(`--set ${which}: expected testset, wild or all`);
  const sets: NanoSet[] = which === 'all' ? ['testset', 'wild'] : [which as NanoSet];
  const t0 = Date.now();
  const reports = await evaluateNanoSets(sets, {
    only: values.only?.split(','),
    limit: values.limit ? Number(values.limit) : undefined,
    threads: values.threads ? Number(values.threads) : undefined,
    log: (m) => void process.stderr.write(`[eval-nano] ${m}\n`),
  });
  const report: EvalReport = reports.length === 2 ? { ...reports[0]!, wild: reports[1]! } : reports[0]!;
  const out = values.out ?? join(ROOT, 'bench/results/eval-nano.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  process.stdout.write(renderReport(report));
  process.stderr.write(`[eval-nano] wrote ${out} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}

/** Runs the evaluation of one question set (see the file comment; default the held-out set) and returns the report. */
export async function evaluateNano(opts: EvalOptions = {}): Promise<EvalReport> {
  const [report] = await evaluateNanoSets([opts.set ?? 'testset'], opts);
  return report!;
}

/** The items of a set, filtered by modality (`only`) and at most `limit` per modality. */
function loadItems(set: NanoSet, opts: EvalOptions): TestItem[] {
  const { dir, json } = NANO_SETS[set];
  const path = join(dir, json);
  if (!existsSync(path)) {
    throw new Error(set === 'wild'
      ? `${path} is missing: build it with \`python3 training/wild.py ${dir}\` (or run training/run.sh).`
      : `${path} is missing: run training/run.sh (or restore training/out/).`);
  }
  const only = opts.only ? new Set(opts.only) : undefined;
  const limit = opts.limit ?? Infinity;
  const perMod = new Map<string, number>();
  return (JSON.parse(readFileSync(path, 'utf8')) as { items: TestItem[] }).items.filter((it) => {
    if (only && !only.has(it.modality)) return false;
    // out-of-world items count apart from their modality's world items, so a --limit sample has both
    const group = (it.spec as { kind?: string } | undefined)?.kind === 'unknown' ? `${it.modality}/unknown` : it.modality;
    const k = perMod.get(group) ?? 0;
    perMod.set(group, k + 1);
    return k < limit;
  });
}

/**
 * Evaluates several sets with one load of the bundles: every file is embedded once (both deltas share
 * the ImageBind checkpoint), then both LLMs answer every question. One report per set, in order.
 */
export async function evaluateNanoSets(sets: NanoSet[], opts: EvalOptions = {}): Promise<EvalReport[]> {
  const t0 = Date.now();
  const log = opts.log ?? ((): void => {});
  const itemsBySet = sets.map((set) => loadItems(set, opts));
  const spent = sets.map(() => 0);

  const quiet = (): void => {};
  await buildBuiltin({ log: quiet });
  await buildBundle(nanoSource('pandagpt-zeroshot'), ZEROSHOT_DIR, { log: quiet });
  const finalBundle = openBundle(BUILTIN_DIR);
  const zeroBundle = openBundle(ZEROSHOT_DIR);
  const sessionOptions = nodeSessionOptions('cpu', opts.threads);

  // Both deltas share the ImageBind checkpoint, so every file is embedded once.
  const encoders = await ImageBindEngine.load({ ort: nodeOrt, manifest: finalBundle.manifest, readFile: finalBundle.readFile, loadPart: finalBundle.loadPart, gunzip: async (gz) => gunzipSync(gz).toString('utf8'), backend: 'cpu', sessionOptions });
  const vectors = new Map<string, MediaEmbedding>(); // key: set directory + file
  for (const [s, set] of sets.entries()) {
    const t = Date.now();
    const dir = NANO_SETS[set].dir;
    const files = [...new Map(itemsBySet[s]!.flatMap((it) => it.files.map((f) => [f, fileModality(it, f)] as const))).entries()];
    for (const [i, [file, modality]] of files.entries()) {
      if (i % 25 === 0) log(`${set}: embedding ${i + 1}/${files.length}`);
      vectors.set(join(dir, file), { modality, vector: await encoders.embed(await preprocessFile(join(dir, file), modality)) });
    }
    spent[s]! += Date.now() - t;
  }
  await encoders.dispose();

  const load = (b: typeof finalBundle): Promise<LlmEngine> => LlmEngine.load({ ort: nodeOrt, manifest: b.manifest, readFile: b.readFile, loadPart: b.loadPart, backend: 'cpu', sessionOptions });
  const engines = { final: await load(finalBundle), zero_shot: await load(zeroBundle) };
  const params = { ...finalBundle.manifest.llm.generation, greedy: true, maxNewTokens: 48 };

  const pyPath = join(NANO_DIR, 'eval.json');
  const py = existsSync(pyPath) ? (JSON.parse(readFileSync(pyPath, 'utf8')) as Partial<Record<SetInfo['pythonAnswers'], { id: string; question: string; answer: string }[]>>) : undefined;

  const reports: EvalReport[] = [];
  for (const [s, set] of sets.entries()) {
    const t = Date.now();
    const { dir, pythonAnswers } = NANO_SETS[set];
    const items = itemsBySet[s]!;
    const report: EvalReport = {
      what: `PandaGPT-nano ${set === 'wild' ? 'wild-set' : 'held-out'} evaluation through the shipped bundle (TypeScript preprocessing, onnxruntime-node): share of greedy answers naming the right attribute(s).`,
      set,
      dir,
      startedAt: new Date(t0).toISOString(),
      durationMs: 0,
      machine: { cpus: cpus().length, loadavg: loadavg(), node: process.version },
      bundle: { final: BUILTIN_DIR, zero_shot: ZEROSHOT_DIR },
      per_modality: {},
      per_question_type: {},
      arithmetic_image_plus_audio: { zero_shot: { both: 0, image_only: 0, audio_only: 0, neither: 0 }, final: { both: 0, image_only: 0, audio_only: 0, neither: 0 } },
      answers: [],
      targets: [],
    };
    let done = 0;
    const total = items.reduce((n, it) => n + it.questions.length, 0);
    for (const item of items) {
      const media = item.files.map((f) => vectors.get(join(dir, f))!);
      for (const q of item.questions) {
        const row = { id: item.id, type: q.type, question: q.question, zero_shot: '', final: '', right_zero_shot: false, right_final: false };
        for (const which of ['final', 'zero_shot'] as const) {
          const { text } = await engines[which].generate({ prompt: q.question, history: [], media, params });
          const right = namesAll(text, q.key);
          row[which] = text;
          row[which === 'final' ? 'right_final' : 'right_zero_shot'] = right;
          const m = (report.per_modality[item.modality] ??= tally());
          const tq = ((report.per_question_type[item.modality] ??= {})[q.type] ??= tally());
          m[which] += right ? 1 : 0;
          tq[which] += right ? 1 : 0;
          if (q.image_key && q.audio_key) {
            const img = namesAll(text, q.image_key);
            const aud = namesAll(text, q.audio_key);
            report.arithmetic_image_plus_audio[which][img && aud ? 'both' : img ? 'image_only' : aud ? 'audio_only' : 'neither']++;
          }
        }
        report.per_modality[item.modality]!.n++;
        report.per_question_type[item.modality]![q.type]!.n++;
        report.answers.push(row);
        if (++done % 100 === 0) log(`${set}: ${done}/${total} questions`);
      }
    }
    report.targets = targetRows(report);

    const pyAnswers = py?.[pythonAnswers];
    if (pyAnswers) {
      const byKey = new Map(pyAnswers.map((a) => [`${a.id}\u0000${a.question}`, a.answer]));
      const agreement: NonNullable<EvalReport['python_agreement']> = { compared: 0, identical: 0, differing: [] };
      for (const a of report.answers) {
        const p = byKey.get(`${a.id}\u0000${a.question}`);
        if (p === undefined) continue;
        agreement.compared++;
        if (p.trim() === a.final.trim()) agreement.identical++;
        else if (agreement.differing.length < 20) agreement.differing.push({ id: a.id, question: a.question, node: a.final, python: p });
      }
      report.python_agreement = agreement;
    }
    report.durationMs = spent[s]! + Date.now() - t;
    reports.push(report);
  }
  await engines.final.dispose();
  await engines.zero_shot.dispose();
  return reports;
}

/** One quantised format against fp32 on the same questions (greedy, Node, CPU EP). */
export interface FormatReport {
  format: string;
  bundle: string;
  questions: number;
  /** Whole greedy answers identical to fp32's. */
  identical: number;
  /** First generated token (prefill top-1) equal to fp32's. */
  top1: number;
  /** KL(fp32 ‖ format) of the first token's distribution: mean and max over questions. */
  meanKl: number;
  maxKl: number;
  right: { fp32: number; format: number };
  differing: { id: string; question: string; fp32: string; format: string }[];
}

const NANO_Q4_DIR = join(ROOT, '.cache/bundles/nano-q4');

function softmax(l: Float32Array): Float64Array {
  let m = -Infinity;
  for (const x of l) m = Math.max(m, x);
  const p = new Float64Array(l.length);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += p[i] = Math.exp(l[i]! - m);
  for (let i = 0; i < l.length; i++) p[i]! /= s;
  return p;
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) kl += p[i]! * Math.log(p[i]! / Math.max(q[i]!, 1e-30));
  return kl;
}

const argmax = (l: Float32Array): number => l.reduce((b, x, i) => (x > l[b]! ? i : b), 0);

/**
 * The quality gate for the shipped quantised formats on a model with real margins: PandaGPT-nano
 * converted as real models are (`--quant q4`: q4 decoder with fp16 scales and fp16-stored lm_head,
 * q8 ImageBind encoders) against the fp32 built-in bundle, on the held-out test set.
 */
export async function compareNanoFormats(opts: EvalOptions & { imagebindQuant?: string; lmHeadFormat?: WeightFormat } = {}): Promise<FormatReport> {
  const log = opts.log ?? ((): void => {});
  const items = (JSON.parse(readFileSync(join(TESTSET_DIR, 'testset.json'), 'utf8')) as { items: TestItem[] }).items;
  const perMod = new Map<string, number>();
  const chosen = items.filter((it) => {
    const k = perMod.get(it.modality) ?? 0;
    perMod.set(it.modality, k + 1);
    return (!opts.only || opts.only.includes(it.modality)) && k < (opts.limit ?? Infinity);
  });
  await buildBuiltin({ log: () => {} });
  // As `npm run convert` writes a real model by default, minus the fp32 copy for wasm.
  const q4Decoder = { format: 'q4' as const, fileName: decoderFile('q4'), backends: ['webgpu' as const, 'cpu' as const], lmHeadFormat: opts.lmHeadFormat };
  const encFormat = opts.imagebindQuant ?? 'auto';
  const dir = (encFormat === 'auto' ? NANO_Q4_DIR : `${NANO_Q4_DIR}-${encFormat.replace(/[^a-z0-9]+/gi, '_')}`) + (opts.lmHeadFormat ? `-head-${opts.lmHeadFormat}` : '');
  await buildBundle({ ...nanoSource('pandagpt'), quant: 'q4', imagebindQuant: encFormat, decoders: [q4Decoder], name: `PandaGPT-nano (q4 decoder, ImageBind ${encFormat})` }, dir, { log: () => {} });
  const sessionOptions = nodeSessionOptions('cpu', opts.threads);
  const side = async (dir: string, variant: 'fp32' | 'q4') => {
    const b = openBundle(dir);
    const enc = await ImageBindEngine.load({ ort: nodeOrt, manifest: b.manifest, readFile: b.readFile, loadPart: b.loadPart, gunzip: async (gz) => gunzipSync(gz).toString('utf8'), backend: 'cpu', sessionOptions });
    const llm = await LlmEngine.load({ ort: nodeOrt, manifest: b.manifest, readFile: b.readFile, loadPart: b.loadPart, backend: 'cpu', variant, sessionOptions });
    return { b, enc, llm };
  };
  const ref = await side(BUILTIN_DIR, 'fp32');
  const q = await side(dir, 'q4');
  const report: FormatReport = { format: `q4 decoder${opts.lmHeadFormat ? ` (${opts.lmHeadFormat} lm_head)` : ''} + ${encFormat === 'auto' ? 'q8' : encFormat} encoders`, bundle: dir, questions: 0, identical: 0, top1: 0, meanKl: 0, maxKl: 0, right: { fp32: 0, format: 0 }, differing: [] };
  const params = { ...ref.b.manifest.llm.generation, greedy: true, maxNewTokens: 48 };
  for (const [i, item] of chosen.entries()) {
    if (i % 20 === 0) log(`item ${i + 1}/${chosen.length}`);
    const media = async (s: typeof ref): Promise<MediaEmbedding[]> =>
      Promise.all(item.files.map(async (f) => ({ modality: fileModality(item, f), vector: await s.enc.embed(await preprocessFile(join(TESTSET_DIR, f), fileModality(item, f))) })));
    const [mRef, mQ] = [await media(ref), await media(q)];
    for (const qu of item.questions) {
      let lRef = new Float32Array();
      let lQ = new Float32Array();
      const a = (await ref.llm.generate({ prompt: qu.question, history: [], media: mRef, params }, { onPrefillLogits: (l) => (lRef = l.slice()) })).text;
      const b = (await q.llm.generate({ prompt: qu.question, history: [], media: mQ, params }, { onPrefillLogits: (l) => (lQ = l.slice()) })).text;
      const kl = klDivergence(softmax(lRef), softmax(lQ));
      report.questions++;
      report.meanKl += kl;
      report.maxKl = Math.max(report.maxKl, kl);
      if (argmax(lRef) === argmax(lQ)) report.top1++;
      if (a.trim() === b.trim()) report.identical++;
      else if (report.differing.length < 20) report.differing.push({ id: item.id, question: qu.question, fp32: a, format: b });
      if (namesAll(a, qu.key)) report.right.fp32++;
      if (namesAll(b, qu.key)) report.right.format++;
    }
  }
  report.meanKl /= Math.max(1, report.questions);
  for (const s of [ref, q]) {
    await s.enc.dispose();
    await s.llm.dispose();
  }
  return report;
}

export function renderTable(r: EvalReport): string {
  const lines = ['| modality | question | n | zero-shot | final |', '| --- | --- | ---: | ---: | ---: |'];
  for (const [mod, types] of Object.entries(r.per_question_type)) {
    for (const [type, t] of Object.entries(types)) lines.push(`| ${mod} | ${type} | ${t.n} | ${pct(t.zero_shot, t.n)} | ${pct(t.final, t.n)} |`);
  }
  for (const [mod, t] of Object.entries(r.per_modality)) lines.push(`| **${mod}** | **all** | ${t.n} | **${pct(t.zero_shot, t.n)}** | **${pct(t.final, t.n)}** |`);
  const a = r.arithmetic_image_plus_audio;
  if (r.per_modality['image+audio']) {
    lines.push('', 'Image + audio (two media summed into one token): answers naming the image (colour + shape) and/or the sound', '');
    lines.push('| | both | image only | audio only | neither |', '| --- | ---: | ---: | ---: | ---: |');
    for (const k of ['zero_shot', 'final'] as const) lines.push(`| ${k.replace('_', '-')} | ${a[k].both} | ${a[k].image_only} | ${a[k].audio_only} | ${a[k].neither} |`);
  }
  if (r.python_agreement) {
    const p = r.python_agreement;
    const list = NANO_SETS[r.set ?? 'testset'].pythonAnswers;
    lines.push('', `Final answers identical to the Python evaluation of the same checkpoints (training/out/eval.json, ${list}): ${p.identical}/${p.compared}.`);
  }
  return lines.join('\n') + '\n';
}

const pctOf = (v: number | null): string => (v === null ? '–' : `${Math.round(100 * v)}%`);

/** The issue's targets (final delta) for each evaluated set: measured value and met / not met. */
export function renderTargets(reports: EvalReport[]): string {
  const title = (r: EvalReport): string => NANO_SETS[r.set].title.toLowerCase();
  const lines = [
    `| target | bar | ${reports.map((r) => `${title(r)}: n | ${title(r)} | | `).join('')}`.trimEnd(),
    `| --- | ---: | ${reports.map(() => '---: | ---: | --- | ').join('')}`.trimEnd(),
  ];
  for (const [i, t] of TARGETS.entries()) {
    const cells = reports.map((r) => {
      const row = r.targets[i]!;
      return `${row.n} | ${pctOf(row.value)} | ${row.met === null ? '–' : row.met ? 'met' : 'not met'} | `;
    });
    lines.push(`| ${t.target} | ≥ ${Math.round(100 * t.bar)}% | ${cells.join('')}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

/** Everything `npm run eval-nano` prints: a table per set, then the targets. */
export function renderReport(r: EvalReport): string {
  const reports = [r, ...(r.wild ? [r.wild] : [])];
  const parts = reports.map((x) => `## ${NANO_SETS[x.set].title} (${relative(ROOT, x.dir)})\n\n${renderTable(x)}`);
  parts.push(`## Targets (final delta)\n\n${renderTargets(reports)}`);
  return parts.join('\n');
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) main().catch(exitWithError);
