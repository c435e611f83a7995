import { describe, expect, it } from 'vitest';
import type { DecoderVariant } from '../../src/core/manifest';
import { chooseDecoderFormat } from '../../workers/variant-choice';

const v = (format: DecoderVariant['format'], backends: DecoderVariant['backends'], ioDtype: DecoderVariant['ioDtype'] = 'float32'): DecoderVariant => ({ format, backends, ioDtype, file: `${format}.onnx`, externalData: [] });

describe('chooseDecoderFormat', () => {
  const all = [v('fp16', ['webgpu'], 'float16'), v('q4', ['webgpu', 'wasm']), v('fp32', ['wasm', 'cpu'])];
  it('takes fp16 on WebGPU only with shader-f16', () => {
    expect(chooseDecoderFormat(all, 'webgpu', true)).toBe('fp16');
    expect(chooseDecoderFormat(all, 'webgpu', false)).toBe('q4');
  });
  it('follows the manifest ranking on wasm and honours a preference', () => {
    expect(chooseDecoderFormat(all, 'wasm', false)).toBe('fp32');
    expect(chooseDecoderFormat(all, 'wasm', false, 'q4')).toBe('q4');
    expect(chooseDecoderFormat(all, 'webgpu', false, 'fp16')).toBe('q4');
  });
  it('refuses an fp16-only bundle on a GPU without shader-f16, with a way out', () => {
    expect(() => chooseDecoderFormat([v('fp16', ['webgpu'], 'float16')], 'webgpu', false)).toThrow(/shader-f16.*WebAssembly/);
    expect(chooseDecoderFormat([v('fp16', ['webgpu'], 'float16')], 'wasm', false)).toBe('fp16');
  });
});
