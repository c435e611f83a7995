/**
 * The GPU check: decode speed of a 7B-shaped q4 PandaGPT decoder on the machine's GPU, through
 * the page's path (onnxruntime-web JSEP on Dawn), onnxruntime-node's WebGPU EP and the CPU EP
 * (reference tokens), held against the GPU's memory bandwidth. Bundled by pack.ts with node and
 * every native piece, so it runs on a GPU machine with nothing installed:
 *
 *   ./run.sh [--layers 32] [--bandwidth-gbs 3350] [--out DIR]     (pack's run.sh → node check.mjs)
 *
 * Phases (build, then each path) run as child processes of this one with a share of
 * `--deadline-s` each (time a phase leaves unused goes to the later ones), so a hang or a crash in
 * a GPU driver costs one phase, never the report. Progress on stderr; tables on stdout; the JSON
 * in `<out>/gpu-check.json` and on the last stdout line (`RESULT_JSON {...}`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installDawn, adapterReport, type AdapterReport } from './dawn';
import { PATHS, runPath, type PathName, type PathOptions, type PathResult } from './paths';
import { adapterTable, gpuInfo, hostInfo, pathTable, sampleGpu, vulkanInfo, type GpuPeak, type PathSummary } from './report';
import { ensureSyntheticBundle, LLAMA_7B, llamaIntermediate, type SyntheticBundle } from './synthetic-bundle';

const HELP = `GPU check: 7B-shaped q4 decoder, greedy, on WebGPU (JSEP on Dawn; onnxruntime-node WebGPU EP) vs CPU.

  ./run.sh [options]            in the pack (npx tsx bench/gpu/pack.ts). From the repo,
                                npx tsx bench/gpu/check.ts runs node-webgpu and cpu only (under tsx
                                onnxruntime-web is its wasm-only Node build) and builds slower

  --layers N            decoder layers (default 32, LLaMA-7B)
  --hidden H            hidden size (default 4096); --intermediate defaults to LLaMA's 8H/3 rounded to 256
  --intermediate I      MLP width
  --heads N             attention heads (default hidden/128)
  --new-tokens N        decoded tokens per measured run (default 64)
  --prompt TEXT         the user message (default: a fixed ~100-token one; prefill is measured on it)
  --compare N           greedy tokens compared with the CPU's (default 16; the CPU decodes this many)
  --only a,b            paths: jsep, node-webgpu, cpu (default all three)
  --bandwidth-gbs N     GPU memory bandwidth for the roofline (default: from nvidia-smi's GPU name,
                        H100 3350, H200 4800; else 3350)
  --deadline-s N        whole run, all phases (default 480)
  --work DIR            generated checkpoint + bundle, reused by a rerun (default: ./work beside check)
  --out DIR             where gpu-check.json goes (default: the work folder)
  --dawn FLAG           dawn.node flag, repeatable (e.g. backend=vulkan, adapter=NAME)
  --fallback            ask Dawn for the fallback (CPU) adapter: dry runs without a GPU
  --cpu-threads N       CPU EP threads (default: onnxruntime's choice)
  --probe               load the native libraries, print the WebGPU adapter, exit
`;

const here = dirname(fileURLToPath(import.meta.url));
/** In the pack everything sits beside check.mjs; from the repo (tsx) it comes from node_modules. */
const packed = existsSync(join(here, 'ort-wasm-simd-threaded.jsep.wasm'));
const repoRoot = resolve(here, '..', '..');
const WASM = packed ? join(here, 'ort-wasm-simd-threaded.jsep.wasm') : join(repoRoot, 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm');
const TOKENIZER = packed ? join(here, 'tokenizer') : join(repoRoot, 'test/fixtures/pandagpt-tiny/vicuna');

/** ~100 prompt tokens with the Vicuna v0 template (prefill is measured on this). */
const PROMPT =
  'You are looking at a photograph taken in a bamboo forest in Sichuan. A giant panda sits on a mossy rock, ' +
  'holding a green stalk in its front paws and chewing slowly. Behind it, morning light falls through the ' +
  'leaves and a small stream runs past. Describe the scene in detail, then explain what pandas eat, how ' +
  'much time they spend eating each day, and why their diet makes them move so slowly.';

const SHARES: Record<'build' | PathName, number> = { build: 3, jsep: 3, 'node-webgpu': 2, cpu: 2 };
const EVENT = '@@gpu-check ';

/** Options, validated; a bad one prints the message and the help, exit code 2. */
function parseCli() {
  const { values: a } = parseArgs({
    options: {
      layers: { type: 'string' },
      hidden: { type: 'string' },
      intermediate: { type: 'string' },
      heads: { type: 'string' },
      'new-tokens': { type: 'string', default: '64' },
      prompt: { type: 'string', default: PROMPT },
      compare: { type: 'string', default: '16' },
      only: { type: 'string' },
      'bandwidth-gbs': { type: 'string' },
      'deadline-s': { type: 'string', default: '480' },
      work: { type: 'string' },
      out: { type: 'string' },
      dawn: { type: 'string', multiple: true, default: [] },
      fallback: { type: 'boolean', default: false },
      'cpu-threads': { type: 'string' },
      probe: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      // Internal: one phase in a child process.
      phase: { type: 'string' },
      'phase-deadline': { type: 'string' },
      bundle: { type: 'string' },
    },
    strict: true,
  });
  const hidden = int('hidden', a.hidden, LLAMA_7B.hidden);
  const shape = {
    ...LLAMA_7B,
    layers: int('layers', a.layers, LLAMA_7B.layers),
    hidden,
    intermediate: int('intermediate', a.intermediate, hidden === LLAMA_7B.hidden ? LLAMA_7B.intermediate : llamaIntermediate(hidden)),
    heads: int('heads', a.heads, Math.max(1, Math.floor(hidden / 128))),
  };
  if (shape.hidden % shape.heads !== 0 || (shape.hidden / shape.heads) % 2 !== 0) throw new Error(`--hidden ${shape.hidden} needs --heads dividing it into an even head size (got ${shape.heads})`);
  const workDir = resolve(a.work ?? (packed ? join(here, 'work') : join(repoRoot, 'bench', '.work', 'gpu-check')));
  return { a, shape, newTokens: int('new-tokens', a['new-tokens']), compare: int('compare', a.compare), workDir };
}

function int(name: string, v: string | undefined, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`--${name} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer (got ${v})`);
  return n;
}

const { a, shape, newTokens, compare, workDir } = (() => {
  try {
    return parseCli();
  } catch (e) {
    process.stderr.write(`gpu-check: ${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
    process.exit(2);
  }
})();
const log = (m: string): void => void process.stderr.write(`[gpu-check${a.phase ? `:${a.phase}` : ''}] ${m}\n`);
const emit = (e: Record<string, unknown>): void => void process.stdout.write(EVENT + JSON.stringify(e) + '\n');

// ---------------------------------------------------------------- child side: one phase

async function childPhase(phase: string): Promise<void> {
  const deadline = Number(a['phase-deadline'] ?? Date.now() + 3_600_000);
  if (phase === 'build') {
    const t0 = performance.now();
    const b = await ensureSyntheticBundle(workDir, shape, TOKENIZER, log);
    emit({ event: 'result', bundle: { dir: b.dir, params: b.params, decoderBytes: b.decoderBytes, reused: b.reused, name: b.manifest.name, config: b.manifest.llm.config }, ms: performance.now() - t0 });
    return;
  }
  if (!(PATHS as readonly string[]).includes(phase)) throw new Error(`unknown phase ${phase}`);
  const path = phase as PathName;
  const o: PathOptions = {
    bundleDir: a.bundle!,
    prompt: a.prompt!,
    // The CPU only supplies the reference tokens: decoding 64 on a 7B would take most of its share.
    newTokens: path === 'cpu' ? compare : Math.max(newTokens, compare),
    // Leave a margin for dispose and exit before the parent's kill.
    deadline: deadline - Math.max(5_000, (deadline - Date.now()) * 0.1),
    wasmPath: WASM,
    dawnFlags: a.dawn ?? [],
    forceFallbackAdapter: a.fallback ?? false,
    ...(a['cpu-threads'] ? { cpuThreads: int('cpu-threads', a['cpu-threads']) } : {}),
  };
  const r = await runPath(path, o, emit);
  emit({ event: 'result', result: r });
}

async function probe(): Promise<void> {
  const ortNode = (await import('onnxruntime-node')) as unknown as { listSupportedBackends?: () => unknown };
  process.stdout.write(`onnxruntime-node backends: ${JSON.stringify(ortNode.listSupportedBackends?.() ?? 'n/a')}\n`);
  const gpu = await installDawn(a.dawn ?? []);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', forceFallbackAdapter: a.fallback ?? false });
  process.stdout.write(adapter ? `${adapterTable(adapterReport(adapter))}\n` : 'Dawn: no WebGPU adapter\n');
  process.stdout.write(`${JSON.stringify({ host: hostInfo(), vulkan: vulkanInfo(), gpu: gpuInfo(undefined) }, null, 2)}\n`);
}

// ---------------------------------------------------------------- parent side: orchestration

interface ChildOutcome {
  ok: boolean;
  gpuPeak?: GpuPeak;
  error?: string;
  wallS: number;
  events: Record<string, unknown>[];
  result?: Record<string, unknown>;
}

function runChild(phase: string, timeoutMs: number, extra: string[], sampled: boolean): Promise<ChildOutcome> {
  const passthrough = process.argv.slice(2).filter((x, i, all) => !['--phase', '--phase-deadline', '--bundle'].includes(x) && !['--phase', '--phase-deadline', '--bundle'].includes(all[i - 1] ?? ''));
  const args = [...process.execArgv, process.argv[1]!, ...passthrough, '--work', workDir, '--phase', phase, '--phase-deadline', String(Date.now() + timeoutMs), ...extra];
  const t0 = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = sampled ? sampleGpu() : undefined;
    const events: Record<string, unknown>[] = [];
    let result: Record<string, unknown> | undefined;
    let failure: string | undefined;
    let stderrTail = '';
    let buf = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith(EVENT)) {
          process.stderr.write(`[${phase}] ${line}\n`);
          continue;
        }
        const e = JSON.parse(line.slice(EVENT.length)) as Record<string, unknown>;
        events.push(e);
        if (e.event === 'result') result = e;
        else if (e.event === 'error') failure = String(e.message);
        else log(`${phase}: ${JSON.stringify(e)}`);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      stderrTail = (stderrTail + s).slice(-4000);
      process.stderr.write(s.replace(/^(?=.)/gm, `[${phase}] `));
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallS = (Date.now() - t0) / 1000;
      const peak = sampler?.stop();
      const gpuPeak = peak ? { gpuPeak: peak } : {};
      if (result) return done({ ok: true, wallS, events, result, ...gpuPeak });
      const lastErr = failure ?? stderrTail.trim().split('\n').pop() ?? '';
      const why = timedOut ? `timed out after ${(timeoutMs / 1000).toFixed(0)} s` : `exited with ${signal ?? `code ${code}`}`;
      done({ ok: false, wallS, events, error: `${why}${lastErr ? `: ${lastErr.trim()}` : ''}`, ...gpuPeak });
    });
  });
}

function firstDifference(x: number[], ref: number[], n: number): number | undefined {
  const k = Math.min(n, x.length, ref.length);
  for (let i = 0; i < k; i++) if (x[i] !== ref[i]) return i;
  return undefined;
}

async function orchestrate(): Promise<number> {
  const started = new Date();
  const deadline = started.getTime() + int('deadline-s', a['deadline-s']) * 1000;
  const only = a.only ? a.only.split(',').map((s) => s.trim()) : [...PATHS];
  const bad = only.filter((p) => !(PATHS as readonly string[]).includes(p));
  if (bad.length) throw new Error(`--only: unknown path(s) ${bad.join(', ')}; known: ${PATHS.join(', ')}`);
  const paths = PATHS.filter((p) => only.includes(p));
  const bw = a['bandwidth-gbs'] === undefined ? undefined : Number(a['bandwidth-gbs']);
  if (bw !== undefined && !(bw > 0)) throw new Error(`--bandwidth-gbs must be a positive number (got ${a['bandwidth-gbs']})`);
  const gpu = gpuInfo(bw);
  const host = hostInfo();
  const vulkan = vulkanInfo();
  log(`shape ${JSON.stringify(shape)}; paths ${paths.join(', ')}; bandwidth ${gpu.bandwidthGBs} GB/s (${gpu.bandwidthSource}); work ${workDir}`);
  log(`nvidia-smi: ${gpu.nvidiaSmi ? gpu.nvidiaSmi.join(' | ') : 'not found'}; Vulkan ICDs: ${vulkan.icdFiles.join(', ') || 'none'}`);
  mkdirSync(workDir, { recursive: true });

  const phases: ('build' | PathName)[] = ['build', ...paths];
  const timeoutFor = (i: number): number => {
    const left = Math.max(0, deadline - Date.now());
    const rest = phases.slice(i).reduce((s, p) => s + SHARES[p], 0);
    return Math.max(10_000, (left * SHARES[phases[i]!]) / rest);
  };

  log(`build: ${shape.layers} layers (timeout ${(timeoutFor(0) / 1000).toFixed(0)} s)`);
  const build = await runChild('build', timeoutFor(0), [], false);
  const bundle = build.result?.bundle as (Pick<SyntheticBundle, 'dir' | 'params' | 'decoderBytes' | 'reused'> & { name: string }) | undefined;
  const summaries: PathSummary[] = [];
  let adapter: AdapterReport | undefined;
  if (bundle) {
    for (let i = 1; i < phases.length; i++) {
      const p = phases[i] as PathName;
      const timeout = timeoutFor(i);
      log(`${p} (timeout ${(timeout / 1000).toFixed(0)} s)`);
      const c = await runChild(p, timeout, ['--bundle', bundle.dir], gpu.nvidiaSmi !== null);
      const r = c.result?.result as PathResult | undefined;
      adapter ??= (c.events.find((e) => e.event === 'adapter')?.adapter as AdapterReport | undefined) ?? r?.adapter;
      summaries.push({ path: p, ok: c.ok && !!r, ...(c.error ? { error: c.error } : {}), ...(r ? { result: r } : {}), wallS: c.wallS, ...(c.gpuPeak ? { gpuPeak: c.gpuPeak } : {}) });
    }
  }

  // Derived numbers: roofline and token agreement with the CPU.
  const cpu = summaries.find((s) => s.path === 'cpu')?.result;
  for (const s of summaries) {
    const r = s.result;
    if (!r || !bundle) continue;
    s.prefillTokensPerSecond = (r.promptTokens * 1000) / r.prefillMs;
    if (r.decodeTokensPerSecond > 0) {
      s.effectiveGBs = (bundle.decoderBytes * r.decodeTokensPerSecond) / 1e9;
      s.rooflinePct = (100 * s.effectiveGBs) / gpu.bandwidthGBs;
    }
    const meanPos = r.promptTokens + r.generatedTokens / 2;
    s.kvBytesPerToken = 2 * shape.layers * shape.hidden * 4 * meanPos;
    if (cpu && s.path !== 'cpu') {
      const d = firstDifference(r.tokens, cpu.tokens, compare);
      s.sameAsCpu = d === undefined;
      if (d !== undefined) s.firstDifference = d;
    }
  }

  const report = {
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    shape,
    bundle: bundle ?? null,
    buildError: build.ok ? null : build.error,
    buildS: build.wallS,
    gpu,
    host,
    vulkan,
    adapter: adapter ?? null,
    compare,
    newTokens,
    paths: summaries,
  };
  const outDir = resolve(a.out ?? workDir);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gpu-check.json'), JSON.stringify(report, null, 2) + '\n');

  const gb = bundle ? `${(bundle.decoderBytes / 1e9).toFixed(2)} GB q4 decoder` : 'no bundle';
  const out: string[] = [];
  out.push(`\n## GPU check: ${bundle?.name ?? `${shape.layers}-layer LLaMA`} (${gb}; build ${build.wallS.toFixed(0)} s${bundle?.reused ? ', reused' : ''})\n`);
  if (!build.ok) out.push(`BUILD FAILED: ${build.error}\n`);
  out.push(`GPU: ${gpu.nvidiaSmi?.join(' | ') ?? 'nvidia-smi not found'}; roofline ${gpu.bandwidthGBs} GB/s (${gpu.bandwidthSource})`);
  out.push(`host: ${host.cpus}× ${host.cpuModel}, ${host.memGiB} GiB, node ${host.node}, glibc ${host.glibc}\n`);
  if (adapter) out.push(adapterTable(adapter, summaries.find((s) => s.path === 'jsep')?.result?.deviceLimits), '');
  out.push(pathTable(summaries, compare, gpu.bandwidthGBs), '');
  const calls = summaries.find((s) => s.path === 'jsep')?.result?.webgpuCalls;
  if (calls) {
    const p = calls.perDecodeToken;
    out.push(
      `JSEP WebGPU calls per decode token: ${p.submits.toFixed(1)} submits, ${p.mapAsyncs.toFixed(1)} mapAsync (readbacks), ${p.writeBuffers.toFixed(1)} writeBuffer, ` +
        `${p.pipelines.toFixed(2)} pipelines + ${p.shaderModules.toFixed(2)} shader modules created (should be 0 once warm); prefill: ${calls.prefill.submits} submits, ${calls.prefill.pipelines} pipelines created.`,
    );
    const compiled = Object.entries(calls.shadersCompiledDuringDecode);
    if (compiled.length) out.push(`Shaders compiled during decode (kernel: count): ${compiled.slice(0, 8).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  }
  out.push(
    `Prompt ${summaries.find((s) => s.result)?.result?.promptTokens ?? '?'} tokens; greedy; stop rules off; 2-token warm-up first. GB/s = decoder bytes (${gb}) × decode tok/s; ` +
      `the fp32 KV cache adds ~${((summaries.find((s) => s.kvBytesPerToken)?.kvBytesPerToken ?? 0) / 1e6).toFixed(0)} MB per token on top. Total ${report.durationS.toFixed(0)} s; JSON: ${join(outDir, 'gpu-check.json')}`,
  );
  process.stdout.write(out.join('\n') + '\n');
  process.stdout.write(`RESULT_JSON ${JSON.stringify(report)}\n`);
  return build.ok && summaries.length === paths.length && summaries.every((s) => s.ok) ? 0 : 1;
}

async function main(): Promise<number> {
  if (a.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (a.probe) {
    await probe();
    return 0;
  }
  if (a.phase) {
    try {
      await childPhase(a.phase);
      return 0;
    } catch (e) {
      log(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      emit({ event: 'error', message: e instanceof Error ? e.message : String(e) });
      return 1;
    }
  }
  return orchestrate();
}

// Exit explicitly: dawn.node and ORT's threads can keep the event loop alive after the work.
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`gpu-check: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
