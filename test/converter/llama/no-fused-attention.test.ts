/**
 * The routing half of e2e/backend-correctness: onnxruntime-web gives wrong numbers for
 * com.microsoft.GroupQueryAttention (native WebGPU EP with 32+ token prompts; JSEP with
 * kv_num_heads < num_heads) and for fp16 MatMulNBits (JSEP returns zeros without shader-f16), so
 * every decoder variant the converter writes must do attention with standard ops and use
 * MatMulNBits only with float32 activations. Prints each variant's op histogram.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFields } from '../../../converter/tokenizer/protobuf-reader';
import type { BundleManifest, WeightFormat } from '../../../src/core/manifest';
import { convertFixture } from './fixture';
import { inspectModel } from './onnx-inspect';

/** Fused contrib ops with known-wrong or unverified results on some onnxruntime-web backend. */
const FORBIDDEN = ['GroupQueryAttention', 'MultiHeadAttention', 'Attention', 'RotaryEmbedding', 'PackedAttention', 'PackedMultiHeadAttention', 'SparseAttention', 'DecoderMaskedMultiHeadAttention'];

const ONNX_FLOAT = 1;

/** initializer name → ONNX elem type (TensorProto.data_type), read straight from the ModelProto. */
function initializerTypes(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of readFields(bytes)) {
    if (f.field !== 7) continue;
    for (const g of readFields(f.bytes!)) {
      if (g.field !== 5) continue;
      const t = readFields(g.bytes!);
      const name = new TextDecoder().decode(t.find((x) => x.field === 8)?.bytes);
      out.set(name, Number(t.find((x) => x.field === 2)?.varint ?? -1n));
    }
  }
  return out;
}

/** Node inputs by node name: inspectModel does not keep them. */
function graphWiring(bytes: Uint8Array): { inputs: Map<string, string[]> } {
  const inputs = new Map<string, string[]>();
  const text = (b?: Uint8Array) => new TextDecoder().decode(b ?? new Uint8Array());
  for (const f of readFields(bytes)) {
    if (f.field !== 7) continue;
    for (const g of readFields(f.bytes!)) {
      if (g.field !== 1) continue;
      const n = readFields(g.bytes!);
      inputs.set(text(n.find((x) => x.field === 3)?.bytes), n.filter((x) => x.field === 1).map((x) => text(x.bytes)));
    }
  }
  return { inputs };
}

function histogram(ops: string[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const op of ops.sort()) h[op] = (h[op] ?? 0) + 1;
  return h;
}

describe('decoders route around the fused ops onnxruntime-web gets wrong', () => {
  const bundles: { quant: WeightFormat; dir: string; manifest: BundleManifest }[] = [];
  beforeAll(async () => {
    // q4 writes q4 + fp32, fp16 writes fp16 + fp32: together every variant the converter makes.
    for (const quant of ['q4', 'fp16'] as const) bundles.push({ quant, ...(await convertFixture(quant)) });
  }, 300_000);

  it('has no fused attention or rotary op in any variant, and attends with MatMul + Softmax', () => {
    const seen = new Set<WeightFormat>();
    for (const b of bundles) {
      for (const d of b.manifest.llm.decoders) {
        seen.add(d.format);
        const bytes = readFileSync(join(b.dir, d.file!));
        const m = inspectModel(bytes);
        const ops = m.nodes.map((n) => (n.domain ? `${n.domain}:${n.op}` : n.op));
        const hist = histogram(ops);
        console.log(`[no-fused-attention] --quant ${b.quant} ${d.file} (${d.format}, ${d.ioDtype}) op histogram: ${JSON.stringify(hist)}`);
        for (const op of FORBIDDEN) {
          expect(m.nodes.filter((n) => n.op === op), `${d.file}: ${op}`).toEqual([]);
        }
        expect(new Set(m.nodes.filter((n) => n.domain !== '').map((n) => `${n.domain}:${n.op}`)), `${d.file}: contrib ops`).toEqual(new Set(d.format === 'q4' ? ['com.microsoft:MatMulNBits'] : []));
        // Per layer: q·kᵀ and p·v MatMuls and one Softmax (what the attention builder writes).
        const L = b.manifest.llm.config.numLayers;
        expect(hist.Softmax, `${d.file}: Softmax`).toBe(L);
        expect(m.nodes.filter((n) => /\/attn\/(qk|pv)$/.test(n.name) && n.op === 'MatMul'), `${d.file}: attention MatMuls`).toHaveLength(2 * L);
      }
    }
    expect([...seen].sort()).toEqual(['fp16', 'fp32', 'q4']);
  });

  it('uses MatMulNBits only with float32 activations and scales (never the fp16 kernel)', () => {
    let checked = 0;
    for (const b of bundles) {
      for (const d of b.manifest.llm.decoders) {
        const bytes = readFileSync(join(b.dir, d.file!));
        const types = initializerTypes(bytes);
        const { inputs } = graphWiring(bytes);
        for (const n of inspectModel(bytes).nodes.filter((x) => x.op === 'MatMulNBits')) {
          // MatMulNBits' T is shared by A, scales and Y: the scales pin it. They are float32
          // initializers (big ones stored fp16 and widened by the loader: test/converter/onnx/widened.test.ts).
          const scales = inputs.get(n.name)![2]!;
          expect(types.get(scales), `${d.file} ${n.name}: scales ${scales}`).toBe(ONNX_FLOAT);
          expect(d.ioDtype).toBe('float32');
          checked++;
        }
      }
    }
    // Fixture: 2 layers × 7 projections in the q4 variant.
    expect(checked).toBe(14);
  });
});
