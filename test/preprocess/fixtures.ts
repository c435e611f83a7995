/** Paths and index.json entries of the pandagpt-tiny fixture media. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE = join(__dirname, '..', 'fixtures', 'pandagpt-tiny');

export interface MediaEntry {
  id: string;
  modality: string;
  kind: string;
  file: string;
  info: Record<string, any>;
  input?: { file: string; shape: number[] };
}

const index = JSON.parse(readFileSync(join(FIXTURE, 'reference', 'index.json'), 'utf8')) as { media: MediaEntry[] };

export function media(id: string): MediaEntry {
  const m = index.media.find((x) => x.id === id);
  if (!m) throw new Error(`no media ${id} in index.json`);
  return m;
}

export function mediaOfKind(kind: string): MediaEntry[] {
  return index.media.filter((m) => m.kind === kind);
}

export const fixturePath = (rel: string): string => join(FIXTURE, rel);

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
