/**
 * ImageBind hyper-parameters that tensor shapes cannot tell (head counts), read from an
 * `--imagebind-config` JSON (the fixture's format: `{ constructor_kwargs: {...} }`, or the kwargs
 * object itself), else ImageBind-Huge's defaults (spec §2.2).
 */
import { readFile } from 'node:fs/promises';
import { PandaError } from '../../src/core/errors';

export type EncoderName = 'vision' | 'text' | 'audio' | 'depth' | 'thermal' | 'imu';

export interface ImageBindHeads {
  vision: number;
  text: number;
  audio: number;
  depth: number;
  thermal: number;
  imu: number;
}

/** imagebind_huge(): vision 16, text 16, audio 12, depth 8, thermal 12, IMU 8 heads. */
export const IMAGEBIND_HUGE_HEADS: ImageBindHeads = { vision: 16, text: 16, audio: 12, depth: 8, thermal: 12, imu: 8 };

export function headsFromKwargs(kwargs: Record<string, unknown>): ImageBindHeads {
  const out = { ...IMAGEBIND_HUGE_HEADS };
  for (const m of Object.keys(out) as EncoderName[]) {
    const v = kwargs[`${m}_num_heads`];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new PandaError('CONVERT_FAILED', `ImageBind config: ${m}_num_heads must be a positive integer, got ${JSON.stringify(v)}.`);
    }
    out[m] = v;
  }
  return out;
}

/** Reads the kwargs object of a config file (`{ constructor_kwargs }` or the kwargs themselves). */
async function readKwargs(configPath: string): Promise<Record<string, unknown>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (e) {
    throw new PandaError('CONVERT_FAILED', `Cannot read the ImageBind config ${configPath}: ${(e as Error).message}. Pass a JSON file with "constructor_kwargs" (like the fixture's config.json) or omit it for ImageBind-Huge.`);
  }
  const obj = raw as Record<string, unknown>;
  return (typeof obj.constructor_kwargs === 'object' && obj.constructor_kwargs !== null ? obj.constructor_kwargs : obj) as Record<string, unknown>;
}

export async function readImageBindHeads(configPath?: string): Promise<ImageBindHeads> {
  return configPath ? headsFromKwargs(await readKwargs(configPath)) : { ...IMAGEBIND_HUGE_HEADS };
}

/** ImageBind's audio conv stride (`audio_stride`, default 10). */
export async function readAudioStride(configPath?: string): Promise<number> {
  const v = configPath ? (await readKwargs(configPath)).audio_stride : undefined;
  if (v === undefined) return 10;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new PandaError('CONVERT_FAILED', `ImageBind config: audio_stride must be a positive integer, got ${JSON.stringify(v)}.`);
  return v;
}
