/**
 * The GPU check's dry run (bench/gpu/): packs it (node + bundle + native parts, the tarball a GPU
 * machine gets), then runs the packed `run.sh` end to end on Dawn's Vulkan backend over
 * SwiftShader (Chromium's software Vulkan) with a tiny decoder. SwiftShader numbers say nothing
 * about a GPU; the rows prove the pack starts from itself, every path runs, and the greedy tokens
 * of the WebGPU paths equal the CPU's. The measurement itself needs a GPU machine (bench/README.md).
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pack } from '../gpu/pack';
import type { PathSummary } from '../gpu/report';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

/** Chromium ships SwiftShader as a Vulkan ICD beside its binary. */
function swiftShaderIcd(): string | undefined {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const dirs = ['/usr/lib/chromium'];
  if (existsSync(chromium)) dirs.unshift(dirname(realpathSync(chromium)));
  return dirs.map((d) => join(d, 'vk_swiftshader_icd.json')).find(existsSync);
}

function runPacked(ctx: BenchContext, runSh: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(runSh, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    let partial = '';
    child.stderr.on('data', (d: Buffer) => {
      partial += d.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (/^\[gpu-check\]/.test(l)) ctx.log(l.slice(0, 300));
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

const suite: BenchSuite = {
  name: 'gpu',
  async run(ctx) {
    const p = await pack(join(ctx.workDir, 'gpu-pack'), !ctx.quick);
    const rows: BenchRow[] = [];
    const row = (c: string, metric: string, value: number, unit: string, notes?: string): BenchRow => ({ suite: 'gpu', case: c, metric, value, unit, ...(notes ? { notes } : {}) });
    if (!ctx.quick) rows.push(row('pack', 'tar.xz size', p.bytes / 2 ** 20, 'MiB', `${p.bytes} bytes; limit 64 MiB (node, check.mjs, ORT wasm, onnxruntime-node linux-x64, dawn.node, libvulkan)`));

    const icd = swiftShaderIcd();
    if (!icd) throw new Error("no SwiftShader Vulkan ICD (Chromium's vk_swiftshader_icd.json); set CHROMIUM_PATH");
    const shape = ctx.quick ? ['--layers', '1', '--hidden', '256'] : ['--layers', '2', '--hidden', '512'];
    const args = [...shape, '--new-tokens', ctx.quick ? '6' : '16', '--compare', ctx.quick ? '4' : '8', '--prompt', 'Describe a panda in one sentence.', '--deadline-s', '900', '--work', join(ctx.workDir, 'gpu-dry')];
    ctx.log(`dry run on SwiftShader: run.sh ${args.join(' ')}`);
    const out = await runPacked(ctx, join(p.dir, 'run.sh'), args, { ...process.env, VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd });
    const line = out.split('\n').find((l) => l.startsWith('RESULT_JSON '));
    if (!line) throw new Error(`the packed check printed no RESULT_JSON:\n${out.slice(-2000)}`);
    const report = JSON.parse(line.slice('RESULT_JSON '.length)) as { buildS: number; buildError: string | null; compare: number; paths: PathSummary[]; adapter: { description: string; isFallbackAdapter: boolean } | null };
    if (report.buildError) throw new Error(`dry run: build failed: ${report.buildError}`);
    const c = `dry run ${shape.join(' ')} (SwiftShader)`;
    rows.push(row(c, 'build', report.buildS, 's', 'synthetic bundle, in a child of the packed check'));
    for (const s of report.paths) {
      const r = s.result;
      if (!s.ok || !r) {
        rows.push(row(`${c} ${s.path}`, 'error', NaN, '', s.error));
        continue;
      }
      const same = s.path === 'cpu' ? 'reference tokens' : `first ${report.compare} greedy tokens ${s.sameAsCpu ? 'equal' : 'DIFFER from'} the CPU's`;
      const where = s.path === 'jsep' && report.adapter ? `; adapter ${report.adapter.description}${report.adapter.isFallbackAdapter ? ' (fallback)' : ''}` : '';
      rows.push(row(`${c} ${s.path}`, 'decode', r.decodeTokensPerSecond, 'tokens/s', `${r.generatedTokens} tokens after a ${r.promptTokens}-token prefill; ${same}${where}`));
      rows.push(row(`${c} ${s.path}`, 'time to first token', r.timeToFirstTokenMs, 'ms'));
      if (r.webgpuCalls) rows.push(row(`${c} ${s.path}`, 'pipelines created per decode token', r.webgpuCalls.perDecodeToken.pipelines, 'count', `${r.webgpuCalls.perDecodeToken.submits.toFixed(1)} submits, ${r.webgpuCalls.perDecodeToken.mapAsyncs.toFixed(1)} readbacks per token`));
    }
    return rows;
  },
};

export default suite;
