import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTorchCheckpoint, type WriterTensor } from '../../../converter/checkpoint';
import { pickleStateDict } from '../../../converter/checkpoint/pickle-writer';
import { TorchZipWriter } from '../../../converter/checkpoint/zip-writer';
import { runConvert } from '../../../cli/convert';
import { DELTA, VICUNA } from '../llama/fixture';

async function cli(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const code = await runConvert(args, { stderr: (l) => err.push(l), stdout: (l) => out.push(l) });
  return { code, err: err.join('\n'), out: out.join('\n') };
}

/** The sibling folders a conversion into `out` could leave behind. */
const leftovers = (root: string) => readdirSync(root).filter((n) => n.includes('.partial-'));

describe('convert CLI', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'convert-cli-'));
  });

  const copyVicuna = (name: string): string => {
    const dir = join(root, name);
    cpSync(VICUNA, dir, { recursive: true });
    return dir;
  };

  it('--help prints usage and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--vicuna DIR');
    expect(r.out).toContain('--quant q4|fp16|fp32');
  });

  it('rejects missing arguments and bad option values with exit 1', async () => {
    expect((await cli(['--vicuna', VICUNA])).err).toMatch(/--vicuna, --delta and --out are required/);
    const bad = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--quant', 'int3']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--quant must be one of q4, fp16, fp32/);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--lora-alpha', 'abc'])).code).toBe(1);
    writeFileSync(join(root, 'labels.json'), '{"a dog": 1}');
    const labels = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--labels', join(root, 'labels.json')]);
    expect(labels.code).toBe(1);
    expect(labels.err).toMatch(/--labels .* must hold a JSON array of non-empty strings/);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--labels', join(root, 'missing.json')])).err).toMatch(/--labels .*missing\.json/);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--layers-per-group=-1'])).err).toMatch(/--layers-per-group must be a whole number ≥ 0 \(got -1\)/);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--lm-head', 'q8'])).err).toMatch(/--lm-head must be fp16 or q4/);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--quant', 'fp32', '--lm-head', 'q4'])).err).toMatch(/--lm-head applies to --quant q4 only/);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'x'), '--embed-tokens', 'q4'])).err).toMatch(/--embed-tokens must be q8, f16 or auto/);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('converts the fixture with progress on stderr and records the options in the manifest', async () => {
    const out = join(root, 'ok');
    const r = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', out, '--quant', 'fp32', '--name', 'Tiny', '--notice', 'random weights', '--lora-alpha', '16']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/\[convert\] decoder fp32: layer 2\/2/);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.name).toBe('Tiny');
    expect(m.notice).toBe('random weights');
    expect(m.llm.lora).toEqual({ rank: 8, alpha: 16, scaling: 2 });
    expect(leftovers(root)).toEqual([]);
  });

  const failing: [string, () => Promise<string[]>, RegExp][] = [
    [
      'a truncated shard',
      async () => {
        const v = copyVicuna('trunc');
        const shard = join(v, 'pytorch_model-00002-of-00002.bin');
        truncateSync(shard, Math.floor(statSync(shard).size * 0.6));
        return ['--vicuna', v, '--delta', DELTA];
      },
      /CHECKPOINT_TRUNCATED|CHECKPOINT_FORMAT.*pytorch_model-00002-of-00002\.bin/,
    ],
    [
      'a missing shard',
      async () => {
        const v = copyVicuna('missing');
        rmSync(join(v, 'pytorch_model-00002-of-00002.bin'));
        return ['--vicuna', v, '--delta', DELTA];
      },
      /CHECKPOINT_MISSING_SHARD.*pytorch_model-00002-of-00002\.bin/,
    ],
    [
      'a 7B-shaped delta',
      async () => {
        const file = join(root, 'delta-7b.pt');
        const t = (name: string, shape: number[]): WriterTensor => ({ name, shape, parameter: true, data: () => new Uint16Array(shape.reduce((a, b) => a * b, 1)) });
        const p = 'llama_model.base_model.model.model.layers.0.self_attn.q_proj';
        await writeTorchCheckpoint(file, [t('llama_proj.weight', [4096, 1024]), t('llama_proj.bias', [4096]), t(`${p}.lora_A.default.weight`, [32, 4096]), t(`${p}.lora_B.default.weight`, [4096, 32])]);
        return ['--vicuna', VICUNA, '--delta', file];
      },
      /CHECKPOINT_SHAPE_MISMATCH.*delta-7b\.pt.*llama_proj\.weight.*\[4096,1024\]/,
    ],
    [
      'a delta with LoRA layers the base lacks',
      async () => {
        const file = join(root, 'delta-extra.pt');
        const src = await import('../../../converter/checkpoint').then((c) => c.openCheckpoint(DELTA));
        const tensors: WriterTensor[] = src.list().map((i) => ({ name: i.name, shape: i.shape, parameter: true, dtype: 'float32', data: () => src.readF32(i.name) }));
        const extra = 'llama_model.base_model.model.model.layers.2.self_attn.q_proj.lora_A.default.weight';
        tensors.push({ name: extra, shape: [8, 64], dtype: 'float32', data: () => new Float32Array(8 * 64) });
        await writeTorchCheckpoint(file, tensors);
        await src.close();
        return ['--vicuna', VICUNA, '--delta', file];
      },
      /CHECKPOINT_SHAPE_MISMATCH.*delta-extra\.pt.*layers\.2\..*layer 2, but the base model has 2 layers/,
    ],
    [
      'a tensor of an unknown dtype',
      async () => {
        const file = join(root, 'delta-complex.pt');
        const zip = await TorchZipWriter.create(file, 'delta-complex');
        const shape = [64, 64];
        await zip.writeRecord('data.pkl', pickleStateDict([{ name: 'llama_proj.weight', storageClass: 'ComplexFloatStorage', key: '0', numel: 64 * 64, offset: 0, shape, stride: [64, 1], parameter: true }], 'cuda:0'));
        await zip.writeRecord('data/0', new Uint8Array(64 * 64 * 8));
        await zip.writeRecord('version', new TextEncoder().encode('3\n'));
        await zip.finish();
        return ['--vicuna', VICUNA, '--delta', file];
      },
      /UNSUPPORTED_DTYPE.*ComplexFloatStorage/,
    ],
    ['a late failure (ImageBind checkpoint missing, after the decoder is written)', async () => ['--vicuna', VICUNA, '--delta', DELTA, '--imagebind', join(root, 'nope.pth')], /error \[/],
  ];

  for (const [what, make, pattern] of failing) {
    it(`fails cleanly on ${what}: exit 1, clear message, no --out folder`, async () => {
      const args = await make();
      const out = join(root, `out-${what.replace(/\W+/g, '-')}`);
      const r = await cli([...args, '--out', out, '--quant', 'fp32']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(pattern);
      expect(r.err).not.toMatch(/\n\s+at /); // a message, not a stack trace
      expect(existsSync(out)).toBe(false);
      expect(leftovers(root)).toEqual([]);
    });
  }

  it('keeps a previous valid bundle untouched when a new conversion into it fails', async () => {
    const out = join(root, 'keep');
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', out, '--quant', 'fp32'])).code).toBe(0);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const listing = readdirSync(out).sort();
    const v = copyVicuna('missing2');
    rmSync(join(v, 'pytorch_model-00001-of-00002.bin'));
    expect((await cli(['--vicuna', v, '--delta', DELTA, '--out', out, '--quant', 'q4'])).code).toBe(1);
    const late = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', out, '--quant', 'q4', '--imagebind', join(root, 'nope.pth')]);
    expect(late.code).toBe(1);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toEqual(listing);
    expect(leftovers(root)).toEqual([]);
  });

  it('replaces a previous bundle atomically on success', async () => {
    const out = join(root, 'replace');
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', out, '--quant', 'fp32'])).code).toBe(0);
    expect((await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', out, '--quant', 'q4'])).code).toBe(0);
    expect(readdirSync(out)).toContain('decoder-q4.onnx');
    expect(existsSync(join(out, 'embed_tokens.f32.bin'))).toBe(false); // nothing stale from the fp32 bundle
    expect(readdirSync(root).filter((n) => n.includes('.old') || n.includes('.partial-'))).toEqual([]);
  });

  it('refuses to overwrite a folder that is not a bundle', async () => {
    const out = join(root, 'precious');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    const r = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', out, '--quant', 'fp32']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a bundle/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});
