/**
 * Peak resident memory of a Chromium instance per process type, sampled from /proc (Linux only):
 * the browser process found by its `--user-data-dir`, then every descendant, classed by its
 * `--type=` switch (`gpu-process`, `renderer` — which also runs the page's Web Workers —,
 * `utility` with its sub-type, `zygote`). Each sample sums the RSS of the processes of a type; the
 * peak of those sums is reported, with the largest single process beside it.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface TypePeak {
  /** Peak over samples of the summed RSS of this type's processes. */
  peakBytes: number;
  /** Largest single process of this type seen. */
  maxProcessBytes: number;
}

export interface RssSampler {
  /** Peaks per type since the last reset. */
  peaks(): Record<string, TypePeak>;
  reset(): void;
  stop(): void;
}

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

function readProcs(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(d), ppid, cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function processType(cmd: string): string {
  const type = /--type=(\S+)/.exec(cmd)?.[1];
  if (!type) return 'browser';
  if (type === 'utility') return `utility:${/--utility-sub-type=(\S+)/.exec(cmd)?.[1] ?? '?'}`;
  return type;
}

/** Samples every `everyMs` the Chromium started with `--user-data-dir=<profileDir>`. */
export function sampleChromiumRss(profileDir: string, everyMs = 1000): RssSampler {
  let peaks: Record<string, TypePeak> = {};
  const sample = (): void => {
    const procs = readProcs();
    const root = procs.find((p) => p.cmd.includes(`--user-data-dir=${profileDir}`) && !p.cmd.includes('--type='));
    if (!root) return;
    const children = new Map<number, Proc[]>();
    for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    const sums: Record<string, number> = {};
    const walk = (p: Proc): void => {
      const type = processType(p.cmd);
      const rss = rssBytes(p.pid);
      sums[type] = (sums[type] ?? 0) + rss;
      const peak = (peaks[type] ??= { peakBytes: 0, maxProcessBytes: 0 });
      peak.maxProcessBytes = Math.max(peak.maxProcessBytes, rss);
      for (const c of children.get(p.pid) ?? []) walk(c);
    };
    walk(root);
    for (const [type, sum] of Object.entries(sums)) peaks[type]!.peakBytes = Math.max(peaks[type]!.peakBytes, sum);
  };
  const timer = setInterval(sample, everyMs);
  return {
    peaks: () => structuredClone(peaks),
    reset: () => void (peaks = {}),
    stop: () => clearInterval(timer),
  };
}
