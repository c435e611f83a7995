/**
 * The bundle's own zero-shot labels are embedded by the converter and shipped: tagging with them
 * reads a few KB and never loads the text encoder, and gives what the text encoder would.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltin } from '../../../cli/build-builtin';
import { nodeOrt, openBundle, type NodeBundle } from '../../../cli/node-runtime';
import { preprocessFile } from '../../../cli/media-node';
import { ImageBindEngine } from '../../../src/core/encoders/imagebind-engine';
import type { BundleManifest } from '../../../src/core/manifest';

describe('shipped label embeddings (PandaGPT-nano)', () => {
  let bundle: NodeBundle;
  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'labels-')), 'builtin');
    await buildBuiltin({ out, log: () => undefined });
    bundle = openBundle(out);
  });

  function engine(manifest: BundleManifest, reads: string[]): Promise<ImageBindEngine> {
    return ImageBindEngine.load({
      ort: nodeOrt,
      manifest,
      readFile: (p) => (reads.push(p), bundle.readFile(p)),
      gunzip: async (gz) => gunzipSync(gz).toString('utf8'),
      backend: 'cpu',
    });
  }

  it('tags a red circle without touching the text encoder, as the text encoder would', async () => {
    const m = bundle.manifest;
    const labels = m.imagebind!.labels!;
    expect(m.imagebind!.labelEmbeddings).toMatchObject({ shape: [labels.length, m.imagebind!.outDim], dtype: 'float32' });
    const reads: string[] = [];
    const e = await engine(m, reads);
    const input = await preprocessFile('training/out/samples/red-circle.png', 'image');
    const v = await e.embed(input);
    const tags = await e.zeroShot(v, labels);
    expect(tags[0]!.label).toBe('a red circle');
    const textFiles = m.imagebind!.encoders.text!.variants.flatMap((x) => [x.file, ...x.externalData]);
    expect(reads.filter((f) => textFiles.includes(f) || f === m.imagebind!.textBpe)).toEqual([]);
    expect(reads).toContain(m.imagebind!.labelEmbeddings!.file);

    // The same labels through the text encoder (a section without the shipped rows).
    const viaText = await engine({ ...m, imagebind: { ...m.imagebind!, labelEmbeddings: undefined } }, []);
    const ref = await viaText.zeroShot(v, labels);
    expect(tags.map((t) => t.label)).toEqual(ref.map((t) => t.label));
    tags.forEach((t, i) => expect(Math.abs(t.score - ref[i]!.score)).toBeLessThan(1e-5));
    // A label the bundle does not ship still works (text encoder loaded then).
    expect((await e.zeroShot(v, ['a red circle', 'a green dog'])).map((t) => t.label)).toContain('a green dog');
    await Promise.all([e.dispose(), viaText.dispose()]);
  });
});
