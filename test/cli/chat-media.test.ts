/**
 * Media files → preprocessing → ImageBind encoders → bridge → decoder, the CLI's path, against
 * the reference greedy ids of the fixture's LLM cases (issue: "npm run chat --greedy from the
 * media files themselves produces the reference token ids").
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedMediaFiles, type MediaFileArg } from '../../cli/media-args';
import { nodeOrt, nodeSessionOptions, openBundle, type NodeBundle } from '../../cli/node-runtime';
import { convertPandaGpt } from '../../converter/bundle/convert';
import { LlmEngine } from '../../src/core/engine/llm-engine';
import { FIXTURE, referenceIndex } from '../../e2e/support/reference-cases';

const MEDIA: Record<string, MediaFileArg> = {
  image_dog: { modality: 'image', file: join(FIXTURE, 'media/images/dog_image.jpg'), weight: 1 },
  audio_dog: { modality: 'audio', file: join(FIXTURE, 'media/audios/dog_audio.wav'), weight: 1 },
  video_world: { modality: 'video', file: join(FIXTURE, 'media/videos/world.mp4'), weight: 1 },
  thermal_190662: { modality: 'thermal', file: join(FIXTURE, 'media/thermals/190662.jpg'), weight: 1 },
};

let bundle: NodeBundle;
beforeAll(async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'chat-media-')), 'bundle');
  await convertPandaGpt({
    vicunaDir: join(FIXTURE, 'vicuna'),
    deltaPath: join(FIXTURE, 'pandagpt/pytorch_model.pt'),
    imagebind: join(FIXTURE, 'imagebind/imagebind.pth'),
    imagebindConfig: join(FIXTURE, 'imagebind/config.json'),
    outDir: out,
    quant: 'fp32',
  });
  bundle = openBundle(out);
});

describe('chat from media files reproduces the reference tokens', () => {
  const cases = ['image_dog', 'audio_dog', 'image_audio_dog', 'video_world', 'thermal_190662'];
  for (const id of cases) {
    it(id, async () => {
      const c = referenceIndex().llm.cases.find((x) => x.id === id) as unknown as { media: string[]; input: string; greedy: { ids: number[] } };
      const files = c.media.map((m) => MEDIA[m]!);
      const media = await embedMediaFiles(bundle, files, 'cpu', nodeSessionOptions('cpu'));
      const engine = await LlmEngine.load({ ort: nodeOrt, manifest: bundle.manifest, readFile: bundle.readFile, loadPart: bundle.loadPart, backend: 'cpu' });
      const r = await engine.generate({ prompt: c.input, media, params: { maxNewTokens: 12, temperature: 1, topP: 1, topK: 50, greedy: true } });
      await engine.dispose();
      expect(r.tokens).toEqual(c.greedy.ids);
    });
  }

  it('the chat command prints the same tokens as JSON', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'cli/chat.ts', '--bundle', bundle.dir, '--prompt', 'Describe this.', '--image', MEDIA.image_dog!.file, '--greedy', '--max-new-tokens', '12', '--json'],
      { encoding: 'utf8' },
    );
    const json = JSON.parse(out.trim().split('\n').pop()!);
    const c = referenceIndex().llm.cases.find((x) => x.id === 'image_dog') as unknown as { greedy: { ids: number[] } };
    expect(json.tokens).toEqual(c.greedy.ids);
    expect(typeof json.text).toBe('string');
    expect(json.timings.generatedTokens).toBe(12);
  });
});
