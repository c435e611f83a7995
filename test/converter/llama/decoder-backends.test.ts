import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../../src/core/manifest';
import type { OrtModule } from '../../../src/core/ort';
import { bytesPartLoader } from '../../../src/core/session-loader';
import { nodePartLoader } from '../../../cli/node-runtime';
import { argmax, convertFixture, DecoderRunner, f32, llmCases, maxAbsDiff, type RunnerOrt } from './fixture';

/**
 * The decoder on the execution providers the manifest recommends it for, beyond the CPU EP the
 * other tests use: the wasm EP (onnxruntime-web in Node; the fp32 variant's backend) and the WebGPU
 * EP (onnxruntime-node's, on SwiftShader; q4 and fp32). Attention is plain MatMul/Softmax, but
 * web-runtime.md asks for every attention path to be checked per backend.
 */
const WASM: RunnerOrt = {
  Tensor: ortWeb.Tensor as unknown as typeof ortNode.Tensor,
  create: async (dir, part) => {
    ortWeb.env.wasm.numThreads = 1;
    const load = bytesPartLoader(ortWeb as unknown as OrtModule, async (p) => new Uint8Array(readFileSync(join(dir, p))));
    return (await load(part, { executionProviders: ['wasm'] })) as unknown as ortNode.InferenceSession;
  },
};

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const WEBGPU: RunnerOrt = {
  Tensor: ortNode.Tensor,
  create: (dir, part) => nodePartLoader(dir)(part, { executionProviders: ['webgpu'] }) as Promise<ortNode.InferenceSession>,
};

describe('decoder on other execution providers', () => {
  let q4: { dir: string; manifest: BundleManifest };
  beforeAll(async () => {
    q4 = await convertFixture('q4');
  });

  it('wasm EP (onnxruntime-web): the fp32 variant matches the reference prefill and greedy ids', async () => {
    const r = await DecoderRunner.open(q4.dir, q4.manifest, 'fp32', q4.dir, WASM);
    for (const c of [llmCases()[0]!, llmCases().find((x) => x.id === 'two_turn_dog')!]) {
      const e = f32(c.inputs_embeds.file);
      r.reset();
      expect(maxAbsDiff(await r.feed(e), f32(c.prefill_logits.file))).toBeLessThanOrEqual(1e-3);
      expect((await r.greedy(e, c.greedy.ids.length)).ids).toEqual(c.greedy.ids);
    }
  });

  // SwiftShader ships with Debian's chromium (installed in CI); without it there is no WebGPU adapter.
  it.skipIf(!existsSync(SWIFTSHADER_ICD))('WebGPU EP (SwiftShader): fp32 and q4 variants agree with the CPU EP, a KV step included', async () => {
    process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
    const c = llmCases()[0]!;
    const e = f32(c.inputs_embeds.file);
    // SwiftShader compiles shaders per shape and is slow: prefill + one KV step for fp32, prefill for q4.
    for (const [format, ids] of [
      ['fp32', c.greedy.ids.slice(0, 2)],
      ['q4', c.greedy.ids.slice(0, 1)],
    ] as const) {
      const gpu = await DecoderRunner.open(q4.dir, q4.manifest, format, q4.dir, WEBGPU);
      const cpu = await DecoderRunner.open(q4.dir, q4.manifest, format);
      const a = await gpu.forced(e, ids);
      const b = await cpu.forced(e, ids);
      // WebGPU matmuls accumulate in a different order (measured max |Δ| 1.2e-3 on the prefill).
      for (let s = 0; s < a.length; s++) expect(maxAbsDiff(a[s]!, b[s]!), `${format} step ${s}`).toBeLessThanOrEqual(5e-3);
      if (format === 'fp32') expect(a.map((l) => argmax(l))).toEqual(ids);
    }
  });
});
