import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FileExternalDataSink } from '../../../converter/onnx/external-data';
import { Graph } from '../../../converter/onnx/graph';

describe('ONNX IR writer', () => {
  it('writes a graph with inline and external initializers that onnxruntime runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-ir-'));
    const sink = new FileExternalDataSink(dir, 'model.onnx', { inlineThreshold: 64, maxFileBytes: 8192 });
    const g = new Graph('test', { sink });
    const x = g.input('x', 'float32', ['N', 32]);
    // 32x32 weight (4 KiB, external) + bias (inline) and a second weight forcing a second data file.
    const w1 = new Float32Array(32 * 32).map((_, i) => ((i * 7919) % 13) / 13 - 0.5);
    const w2 = new Float32Array(32 * 32).map((_, i) => ((i * 104729) % 17) / 17 - 0.5);
    const b = new Float32Array(32).map((_, i) => i / 32);
    const h = g.op1('MatMul', [x, g.initializer('w1', 'float32', [32, 32], w1)]);
    const h2 = g.op1('Add', [h, g.initializer('b', 'float32', [32], b)]);
    const y = g.op1('MatMul', [h2, g.initializer('w2', 'float32', [32, 32], w2)]);
    const s = g.op1('ReduceSum', [y, g.constI64('axes', [1])], { attrs: { keepdims: 0 } });
    g.output(s, 'float32', ['N'], 'y');
    sink.close();
    expect(sink.files).toEqual(['model.onnx.data', 'model.onnx.data.1']);
    writeFileSync(join(dir, 'model.onnx'), g.toModelBytes());

    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const xv = new Float32Array(2 * 32).map((_, i) => Math.sin(i));
    const out = await session.run({ x: new ort.Tensor('float32', xv, [2, 32]) });
    const got = out.y!.data as Float32Array;
    for (let n = 0; n < 2; n++) {
      let want = 0;
      for (let j = 0; j < 32; j++) {
        let hj = b[j]!;
        for (let k = 0; k < 32; k++) hj += xv[n * 32 + k]! * w1[k * 32 + j]!;
        for (let o = 0; o < 32; o++) want += hj * w2[j * 32 + o]!;
      }
      expect(got[n]).toBeCloseTo(want, 3);
    }
  });
});
