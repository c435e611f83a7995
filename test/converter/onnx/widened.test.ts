/**
 * float32 initializers stored as fp16 (Graph.initializerF16AsF32): the graph reads a widened view of
 * the fp16 file, which both loaders (Node: a temporary folder; browser/wasm: bytes) make before
 * creating the session; small ones stay inline. Values equal the fp16 values exactly.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterEach, describe, expect, it } from 'vitest';
import { nodePartLoader } from '../../../cli/node-runtime';
import { FileExternalDataSink } from '../../../converter/onnx/external-data';
import { Graph } from '../../../converter/onnx/graph';
import { f16ToF32, f32ArrayToF16 } from '../../../src/core/half';
import type { OnnxPart } from '../../../src/core/manifest';
import type { OrtModule } from '../../../src/core/ort';
import { bytesPartLoader } from '../../../src/core/session-loader';

describe('fp16-stored float32 initializers', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('read back as the fp16 values in fp32 through the Node and the bytes loaders, big ones from the widened file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'widened-'));
    const sink = new FileExternalDataSink(dir, 'w.onnx');
    const f16Sink = new FileExternalDataSink(dir, 'w.onnx.f16');
    const g = new Graph('widened', { sink, f16Sink });
    const big = Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 100);
    const small = Float32Array.from([0.1, -2.5, 65504, 1e-5]);
    const x = g.input('x', 'float32', [1]);
    const a = g.initializerF16AsF32('big', [3000], f32ArrayToF16(big));
    const b = g.initializerF16AsF32('later', [3000], Promise.resolve(f32ArrayToF16(big.map((v) => -v))));
    const c = g.initializerF16AsF32('small', [4], f32ArrayToF16(small));
    for (const [v, name, n] of [[a, 'a', 3000], [b, 'b', 3000], [c, 'c', 4]] as const) g.output(g.op1('Mul', [v, x]), 'float32', [n], name);
    await g.settle();
    sink.close();
    f16Sink.close();
    expect(g.widened).toEqual({ 'w.onnx.f32.data': 'w.onnx.f16.data' });
    expect(g.externalLocations).toEqual(['w.onnx.f32.data']); // small stays inline
    writeFileSync(join(dir, 'w.onnx'), g.toModelBytes());
    expect(readdirSync(dir).sort()).toEqual(['w.onnx', 'w.onnx.f16.data']);
    const part: OnnxPart = { file: 'w.onnx', externalData: g.externalLocations, widen: g.widened };
    const want = (src: Float32Array) => Array.from(f32ArrayToF16(src), f16ToF32);
    const feeds = (T: typeof ortWeb.Tensor) => ({ x: new T('float32', new Float32Array([1]), [1]) });
    const node = await nodePartLoader(dir)(part, {});
    const web = await bytesPartLoader(ortWeb as unknown as OrtModule, async (p) => new Uint8Array(readFileSync(join(dir, p))))(part, { executionProviders: ['wasm'] });
    for (const s of [node, web]) {
      const out = await s.run(feeds(ortWeb.Tensor) as never);
      expect(Array.from(out.a!.data as Float32Array)).toEqual(want(big));
      expect(Array.from(out.b!.data as Float32Array)).toEqual(want(big.map((v) => -v)));
      expect(Array.from(out.c!.data as Float32Array)).toEqual(want(small));
    }
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('pandagpt-widened-') && readdirSync(join(tmpdir(), f)).includes('w.onnx'))).toEqual([]);
  });
});
