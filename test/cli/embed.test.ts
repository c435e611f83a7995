/**
 * `npm run embed` end to end: a bundle made by `npm run convert` from the tiny fixture, a media
 * file preprocessed by src/preprocess, the engine on onnxruntime-node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosine, f32, FIXTURE } from '../converter/imagebind/fixture';

let bundle: string;
const tsx = (args: string[]) => execFileSync('npx', ['tsx', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  bundle = join(mkdtempSync(join(tmpdir(), 'embed-cli-')), 'bundle');
  tsx(['cli/convert.ts', '--vicuna', join(FIXTURE, 'vicuna'), '--delta', join(FIXTURE, 'pandagpt/pytorch_model.pt'), '--out', bundle, '--quant', 'fp32', '--imagebind', join(FIXTURE, 'imagebind/imagebind.pth'), '--imagebind-config', join(FIXTURE, 'imagebind/config.json'), '--imagebind-quant', 'fp32']);
});

describe('npm run embed', () => {
  it('--image FILE --json prints the reference embedding of the file', () => {
    const out = JSON.parse(tsx(['cli/embed.ts', '--bundle', bundle, '--image', join(FIXTURE, 'media/images/dog_image.jpg'), '--json', '--tags', 'A dog.,A car']));
    expect(out.modality).toBe('image');
    expect(out.dims).toEqual([1, 3, 224, 224]);
    // From the JPEG through our preprocessing: within a uint8 step of the reference input.
    expect(cosine(Float32Array.from(out.vector), f32('reference/media/image_dog.embedding.npy').data)).toBeGreaterThan(0.999);
    expect(out.tags.map((t: { label: string }) => t.label).sort()).toEqual(['A car', 'A dog.']);
  });

  it('--input-npy with a stored audio input gives the audio embedding (mean of 3 clips, no ×20)', () => {
    const out = JSON.parse(tsx(['cli/embed.ts', '--bundle', bundle, '--input-npy', join(FIXTURE, 'reference/media/audio_dog.input.npy'), '--modality', 'audio', '--json']));
    expect(out.dims).toEqual([3, 1, 128, 204]);
    expect(cosine(Float32Array.from(out.vector), f32('reference/media/audio_dog.embedding.npy').data)).toBeGreaterThanOrEqual(0.99999);
    expect(out.norm).toBeCloseTo(0.99885, 4);
  });

  it('fails with one clear line when no media flag is given', () => {
    expect(() => tsx(['cli/embed.ts', '--bundle', bundle])).toThrow(/Give exactly one of --image/);
  });
});
