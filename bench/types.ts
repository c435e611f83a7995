/**
 * The bench's whole contract. A suite is a module in bench/suites/ whose default export (or named
 * `suite` export) is a BenchSuite; run.ts finds it by file name. See bench/README.md.
 */

/** One measured number. `case` names what was measured (model, backend, format...). */
export interface BenchRow {
  suite: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  notes?: string;
}

export interface BenchContext {
  /** Small sizes only (smoke run). */
  quick: boolean;
  /** `--size`: the real-size rehearsal's model, 7b or 13b. */
  size: '7b' | '13b';
  /** Absolute repo root. */
  root: string;
  /** Absolute `bench/.work/` (gitignored): generated checkpoints and bundles, reused across runs. */
  workDir: string;
  /** Progress line to stderr (prefixed with the suite name). */
  log: (msg: string) => void;
  /** Lazily started shared browser + Vite server (one per run; closed by run.ts). */
  browser: () => Promise<import('./lib/browser').BenchBrowser>;
}

export interface BenchSuite {
  name: string;
  /** Runs only when named with --only; says why (e.g. it takes an hour and 60 GB of disk). */
  optIn?: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
