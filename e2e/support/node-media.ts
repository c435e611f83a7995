/**
 * Node's side of the page-vs-Node media checks: the vector `npm run embed` computes (ffmpeg for
 * video and compressed audio, the same engine on onnxruntime-node) and test media made with ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';

export const BUILTIN_BUNDLE = 'dist/models/builtin';
export const MEDIA_DIR = '/tmp/pandagpt-e2e-media';

export function nodeVector(modality: string, file: string, bundle = BUILTIN_BUNDLE): number[] {
  const out = execFileSync('npx', ['tsx', 'cli/embed.ts', '--bundle', bundle, `--${modality}`, file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return (JSON.parse(out.slice(out.indexOf('{'))) as { vector: number[] }).vector;
}

export { cosine } from '../../src/core/vector';

/** Runs ffmpeg once per output (kept across runs under MEDIA_DIR; written whole or not at all). */
export function ffmpegMedia(name: string, args: string[]): string {
  mkdirSync(MEDIA_DIR, { recursive: true });
  const out = `${MEDIA_DIR}/${name}`;
  if (!existsSync(out)) {
    const part = `${MEDIA_DIR}/part-${name}`;
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...args, part]);
    renameSync(part, out);
  }
  return out;
}
