/** Progress accounting for a bundle download: bytes, sliding-window rate and ETA. Pure; the clock is injected. */
import type { FileProgress, FileStatus, ProgressSnapshot } from './types';

/** Rate is measured over this window so a stall shows quickly but one burst does not dominate. */
const WINDOW_MS = 4000;

export class ProgressTracker {
  private files = new Map<string, FileProgress>();
  private fetched = 0; // bytes received in this session (what the rate is about)
  private samples: { t: number; fetched: number }[] = [];

  constructor(
    files: { path: string; size: number; loaded: number; status: FileStatus }[],
    private readonly now: () => number,
  ) {
    for (const f of files) this.files.set(f.path, { ...f });
    this.samples.push({ t: now(), fetched: 0 });
  }

  /** `bytes` more of `path` arrived. */
  add(path: string, bytes: number): void {
    const f = this.file(path);
    f.loaded = Math.min(f.size, f.loaded + bytes);
    f.status = 'downloading';
    this.fetched += bytes;
    const t = this.now();
    this.samples.push({ t, fetched: this.fetched });
    while (this.samples.length > 2 && this.samples[1]!.t <= t - WINDOW_MS) this.samples.shift();
  }

  /** Set the bytes of `path` that count as done (a restart from 0, or stored chunks at resume). */
  setLoaded(path: string, loaded: number): void {
    this.file(path).loaded = loaded;
  }

  setStatus(path: string, status: FileStatus): void {
    const f = this.file(path);
    f.status = status;
    if (status === 'done' || status === 'cached') f.loaded = f.size;
  }

  snapshot(): ProgressSnapshot {
    const files = [...this.files.values()].map((f) => ({ ...f }));
    const loaded = files.reduce((s, f) => s + f.loaded, 0);
    const total = files.reduce((s, f) => s + f.size, 0);
    const rate = this.rate();
    const left = total - loaded;
    const etaSeconds = left === 0 ? 0 : rate > 0 ? left / rate : null;
    return { loaded, total, rate, etaSeconds, files };
  }

  private rate(): number {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = (this.now() - first.t) / 1000;
    if (dt <= 0 || last.fetched === first.fetched) return 0;
    return (last.fetched - first.fetched) / dt;
  }

  private file(path: string): FileProgress {
    const f = this.files.get(path);
    if (!f) throw new Error(`progress: unknown file ${path}`);
    return f;
  }
}
