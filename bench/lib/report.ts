/** Machine description and the markdown table of a bench run. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from '../types';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memBytes: number;
  /** 1-minute load average at the start: other users of the machine make numbers noisy. */
  loadAvgAtStart: number;
  node: string;
  platform: string;
  ortNode: string;
  ortWeb: string;
  chromium: string | null;
}

function pkgVersion(root: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(root: string, chromium: string | null): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memBytes: totalmem(),
    loadAvgAtStart: loadavg()[0]!,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ortNode: pkgVersion(root, 'onnxruntime-node'),
    ortWeb: pkgVersion(root, 'onnxruntime-web'),
    chromium,
  };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(rows: BenchRow[]): string {
  const lines = ['| suite | case | metric | value | unit | notes |', '| --- | --- | --- | ---: | --- | --- |'];
  for (const r of rows) lines.push(`| ${cell(r.suite)} | ${cell(r.case)} | ${cell(r.metric)} | ${fmt(r.value)} | ${cell(r.unit)} | ${cell(r.notes ?? '')} |`);
  return lines.join('\n');
}
