/**
 * npm run bench [-- --only converter,decode] [--quick]
 *
 * Runs every suite in bench/suites/ (benchmarks, not tests: nothing here passes or fails on a
 * number), writes bench/results/<ISO time>.json and bench/results/latest.json, and prints a
 * markdown table. The whole run is reniced (+5) so it yields to other users of the machine.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchBrowser, startBenchBrowser } from './lib/browser';
import { machineInfo, markdownTable } from './lib/report';
import type { BenchContext, BenchRow, BenchSuite } from './types';

const HELP = `npm run bench -- [--only a,b] [--quick] [--list] [--size 7b|13b]

  --only a,b   run only these suites (file names in bench/suites/); opt-in suites
               (real-size) run only when named here
  --quick      small sizes only (smoke run)
  --size S     model size for the real-size rehearsal: 7b (default) or 13b
  --list       list the suites and exit
`;

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');

async function loadSuites(): Promise<BenchSuite[]> {
  const files = readdirSync(join(benchDir, 'suites')).filter((f) => f.endsWith('.ts')).sort();
  const out: BenchSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(benchDir, 'suites', f)).href)) as { default?: BenchSuite; suite?: BenchSuite };
    const s = mod.default ?? mod.suite;
    if (!s || typeof s.run !== 'function') throw new Error(`bench/suites/${f} exports no suite (default export { name, run }).`);
    if (s.name !== basename(f, '.ts')) throw new Error(`bench/suites/${f}: suite name "${s.name}" must equal the file name.`);
    out.push(s);
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, size: { type: 'string', default: '7b' }, list: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    setPriority(Math.max(getPriority(), 5));
  } catch {
    // not allowed on this OS/user: run at normal priority
  }
  const all = await loadSuites();
  if (values.list) {
    process.stdout.write(all.map((s) => (s.optIn ? `${s.name} (opt-in: ${s.optIn})` : s.name)).join('\n') + '\n');
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !all.some((s) => s.name === n)) ?? [];
  if (unknown.length) {
    process.stderr.write(`unknown suite(s): ${unknown.join(', ')}; available: ${all.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const suites = only ? all.filter((s) => only.includes(s.name)) : all.filter((s) => !s.optIn);
  if (values.size !== '7b' && values.size !== '13b') {
    process.stderr.write(`--size must be 7b or 13b, not ${values.size}\n`);
    return 2;
  }

  const workDir = join(benchDir, '.work');
  mkdirSync(workDir, { recursive: true });
  let browser: Promise<BenchBrowser> | null = null;
  const started = new Date();
  const rows: BenchRow[] = [];
  const failures: { suite: string; error: string }[] = [];
  const suiteMs: Record<string, number> = {};
  try {
    for (const s of suites) {
      const ctx: BenchContext = {
        quick: values.quick,
        size: values.size,
        root,
        workDir,
        log: (m) => process.stderr.write(`[${s.name}] ${m}\n`),
        browser: () => (browser ??= startBenchBrowser(root, workDir)),
      };
      ctx.log(`start${values.quick ? ' (quick)' : ''}`);
      const t0 = performance.now();
      try {
        const r = await s.run(ctx);
        rows.push(...r);
      } catch (e) {
        const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
        ctx.log(`FAILED: ${msg}`);
        failures.push({ suite: s.name, error: msg });
      }
      suiteMs[s.name] = performance.now() - t0;
      ctx.log(`done in ${(suiteMs[s.name]! / 1000).toFixed(1)} s`);
    }
  } finally {
    const chromium = browser ? await (browser as Promise<BenchBrowser>).then((b) => b.chromiumVersion, () => null) : null;
    if (browser) await (browser as Promise<BenchBrowser>).then((b) => b.close(), () => {});
    const result = {
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      quick: values.quick,
      suites: suites.map((s) => s.name),
      suiteMs,
      machine: machineInfo(root, chromium),
      rows,
      failures,
    };
    const dir = join(benchDir, 'results');
    mkdirSync(dir, { recursive: true });
    const text = JSON.stringify(result, null, 2) + '\n';
    writeFileSync(join(dir, `${started.toISOString().replace(/:/g, '-')}.json`), text);
    writeFileSync(join(dir, 'latest.json'), text);
    const m = result.machine;
    process.stdout.write(
      `\n${markdownTable(rows)}\n\n` +
        `machine: ${m.cpus}× ${m.cpuModel}, ${(m.memBytes / 2 ** 30).toFixed(1)} GiB, load ${m.loadAvgAtStart.toFixed(1)} at start; node ${m.node}, ` +
        `onnxruntime-node ${m.ortNode}, onnxruntime-web ${m.ortWeb}, chromium ${m.chromium ?? '(not started)'}; ` +
        `${(result.durationMs / 1000).toFixed(0)} s total; results in bench/results/latest.json\n`,
    );
    for (const f of failures) process.stdout.write(`FAILED suite ${f.suite}: ${f.error.split('\n')[0]}\n`);
  }
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
