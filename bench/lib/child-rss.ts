/**
 * Runs a Node CLI as a child process and records its peak resident set (VmHWM from
 * /proc/<pid>/status, polled: the kernel keeps the high-water mark, so the last read before exit
 * is the peak up to ~pollMs before exit). Linux only; elsewhere peakRssBytes is null.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';

export interface ChildRun {
  wallMs: number;
  peakRssBytes: number | null;
  code: number | null;
  stderr: string;
}

function vmHwm(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * `node --import tsx <script> ...args` so the polled pid is the process doing the work (the `tsx`
 * binary would fork a second node), at niceness `nice` (absolute, default 5; never below the
 * parent's) so the bench yields to other users of the machine.
 */
export function runTsChild(cwd: string, script: string, args: string[], opts: { nice?: number; pollMs?: number; onLine?: (l: string) => void } = {}): Promise<ChildRun> {
  const argv = ['-n', String(Math.max(0, (opts.nice ?? 5) - getPriority())), process.execPath, '--import', 'tsx', script, ...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // `nice` execs node, so the child pid is node's own.
    const child = spawn('nice', argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let peak: number | null = null;
    let stderr = '';
    let partial = '';
    const poll = (): void => {
      const v = child.pid ? vmHwm(child.pid) : null;
      if (v !== null) peak = Math.max(peak ?? 0, v);
    };
    const timer = setInterval(poll, opts.pollMs ?? 100);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine?.(l);
    });
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ wallMs: performance.now() - t0, peakRssBytes: peak, code, stderr });
    });
  });
}
