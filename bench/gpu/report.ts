/**
 * What the GPU check knows about the machine (nvidia-smi, Vulkan drivers, glibc) and how it
 * prints its result: the roofline a decode step is held against is the GPU's memory bandwidth,
 * since one token reads every weight once.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AdapterReport } from './dawn';
import type { PathName, PathResult } from './paths';

/** Default: H100 SXM5 (HBM3), 3.35 TB/s. */
export const DEFAULT_BANDWIDTH_GBS = 3350;

export interface GpuInfo {
  /** `nvidia-smi --query-gpu=name,memory.total,driver_version`, one line per GPU; null if absent. */
  nvidiaSmi: string[] | null;
  bandwidthGBs: number;
  bandwidthSource: string;
}

/** Peak memory bandwidth (GB/s) from NVIDIA's data sheets, by product name. */
export function bandwidthOf(name: string): number | undefined {
  const n = name.toUpperCase();
  if (n.includes('H200')) return 4800;
  if (n.includes('H100')) {
    if (n.includes('PCIE')) return 2000;
    if (n.includes('NVL')) return 3900;
    return 3350;
  }
  return undefined;
}

function nvidiaSmi(): string[] | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return null;
  }
}

export function gpuInfo(bandwidthArg: number | undefined): GpuInfo {
  const smi = nvidiaSmi();
  if (bandwidthArg !== undefined) return { nvidiaSmi: smi, bandwidthGBs: bandwidthArg, bandwidthSource: '--bandwidth-gbs' };
  const name = smi?.[0]?.split(',')[0]?.trim();
  const bw = name ? bandwidthOf(name) : undefined;
  if (name && bw) return { nvidiaSmi: smi, bandwidthGBs: bw, bandwidthSource: `nvidia-smi: ${name}` };
  return { nvidiaSmi: smi, bandwidthGBs: DEFAULT_BANDWIDTH_GBS, bandwidthSource: name ? `default (unknown GPU "${name}")` : 'default (H100 SXM; no nvidia-smi)' };
}

/** nvidia-smi's view of a phase: proof that a path ran on the NVIDIA GPU (its memory grows by the model). */
export interface GpuPeak {
  maxUtilPct: number;
  /** memory.used at the phase's start and its peak, MiB (GPU 0). */
  memStartMiB: number;
  memPeakMiB: number;
  samples: number;
}

/** Polls nvidia-smi every second (asynchronously) until `stop`; undefined without samples. */
export function sampleGpu(): { stop(): GpuPeak | undefined } {
  let peak: GpuPeak | undefined;
  let busy = false;
  const poll = (): void => {
    if (busy) return;
    busy = true;
    execFile('nvidia-smi', ['--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits'], { timeout: 5_000 }, (err, out) => {
      busy = false;
      const [util, mem] = (err ? '' : out.split('\n')[0] ?? '').split(',').map((x) => Number(x.trim()));
      if (util === undefined || mem === undefined || !Number.isFinite(util) || !Number.isFinite(mem)) return;
      peak = peak ? { ...peak, maxUtilPct: Math.max(peak.maxUtilPct, util), memPeakMiB: Math.max(peak.memPeakMiB, mem), samples: peak.samples + 1 } : { maxUtilPct: util, memStartMiB: mem, memPeakMiB: mem, samples: 1 };
    });
  };
  poll();
  const timer = setInterval(poll, 1_000);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Vulkan ICD manifests Dawn's loader can see: without NVIDIA's there is no GPU adapter. */
export function vulkanInfo(): { icdFiles: string[]; env: Record<string, string> } {
  const icdFiles: string[] = [];
  for (const d of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']) {
    if (existsSync(d)) for (const f of readdirSync(d)) icdFiles.push(join(d, f));
  }
  const env: Record<string, string> = {};
  for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'LD_LIBRARY_PATH', 'NVIDIA_DRIVER_CAPABILITIES', 'NVIDIA_VISIBLE_DEVICES']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return { icdFiles, env };
}

export function hostInfo(): Record<string, unknown> {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, glibc: report?.header?.glibcVersionRuntime ?? 'unknown', platform: `${process.platform}-${process.arch}` };
}

export interface PathSummary {
  path: PathName;
  ok: boolean;
  error?: string;
  result?: PathResult;
  /** Seconds the child ran. */
  wallS: number;
  /** nvidia-smi samples during the phase (absent without nvidia-smi). */
  gpuPeak?: GpuPeak;
  prefillTokensPerSecond?: number;
  /** Weight bytes per decode step ÷ time per step. */
  effectiveGBs?: number;
  rooflinePct?: number;
  /** KV cache bytes read per step, at the mean decode position (fp32 K and V, every layer). */
  kvBytesPerToken?: number;
  /** First min(n, compare) greedy tokens equal the CPU's (undefined: nothing to compare). */
  sameAsCpu?: boolean;
  firstDifference?: number;
}

const LABEL: Record<PathName, string> = {
  jsep: 'onnxruntime-web JSEP on Dawn (the page)',
  'node-webgpu': 'onnxruntime-node WebGPU EP',
  cpu: 'onnxruntime-node CPU EP (reference)',
};

const smi = (p: GpuPeak | undefined): string => (p ? `${p.maxUtilPct} %, +${((p.memPeakMiB - p.memStartMiB) / 1024).toFixed(1)} GiB` : 'n/a');

const f = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function pathTable(rows: PathSummary[], compare: number, bandwidthGBs: number): string {
  const head = `| path | load s | TTFT ms | prefill tok/s | decode tok/s | ms/token | GB/s (weights) | % of ${bandwidthGBs} GB/s | first ${compare} tokens = CPU | nvidia-smi peak: util, +mem |`;
  const lines = [head, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |'];
  for (const s of rows) {
    const r = s.result;
    if (!s.ok || !r) {
      lines.push(`| ${LABEL[s.path]} | FAILED after ${s.wallS.toFixed(0)} s: ${(s.error ?? '').replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 160)} | | | | | | | | ${smi(s.gpuPeak)} |`);
      continue;
    }
    const same = s.path === 'cpu' ? '(reference)' : s.sameAsCpu === undefined ? 'n/a' : s.sameAsCpu ? 'yes' : `NO (from token ${s.firstDifference})`;
    lines.push(
      `| ${LABEL[s.path]} (${r.format}) | ${f(r.loadMs / 1000)} | ${f(r.timeToFirstTokenMs, 0)} | ${f(s.prefillTokensPerSecond)} (${r.promptTokens} tok) | ${f(r.decodeTokensPerSecond, 2)} (${r.generatedTokens} tok) | ${f(1000 / r.decodeTokensPerSecond)} | ${f(s.effectiveGBs)} | ${f(s.rooflinePct)} | ${same} | ${smi(s.gpuPeak)} |`,
    );
  }
  return lines.join('\n');
}

export function adapterTable(a: AdapterReport, device?: { maxBufferSize: number; maxStorageBufferBindingSize: number }): string {
  const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const lines = ['| adapter (Dawn) | value |', '| --- | --- |'];
  lines.push(`| vendor / architecture | ${a.vendor || '–'} / ${a.architecture || '–'} |`);
  lines.push(`| description | ${a.description || '–'} (device ${a.device || '–'}) |`);
  lines.push(`| isFallbackAdapter | ${a.isFallbackAdapter}${a.isFallbackAdapter ? ' (a CPU rasteriser: NOT the GPU)' : ''} |`);
  lines.push(`| maxBufferSize | ${gib(a.maxBufferSize)}${device ? ` (device: ${gib(device.maxBufferSize)})` : ''} |`);
  lines.push(`| maxStorageBufferBindingSize | ${gib(a.maxStorageBufferBindingSize)}${device ? ` (device: ${gib(device.maxStorageBufferBindingSize)})` : ''} |`);
  lines.push(`| shader-f16 / subgroups / timestamp-query | ${['shader-f16', 'subgroups', 'timestamp-query'].map((x) => (a.features.includes(x) ? 'yes' : 'no')).join(' / ')} |`);
  return lines.join('\n');
}
