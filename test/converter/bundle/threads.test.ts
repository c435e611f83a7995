import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConvert } from '../../../cli/convert';
import { convertPandaGpt } from '../../../converter/bundle/convert';
import { DELTA, FIXTURE, VICUNA } from '../llama/fixture';

const IMAGEBIND = join(FIXTURE, 'imagebind/imagebind.pth');
const IMAGEBIND_CONFIG = join(FIXTURE, 'imagebind/config.json');

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await runConvert(args, { stderr: (l) => err.push(l), stdout: () => {} });
  return { code, err: err.join('\n') };
}

/** Every file of `a` and `b`: same names, same bytes (compared without vitest's slow diff). */
function expectSameFiles(a: string, b: string): void {
  const names = readdirSync(a).sort();
  expect(readdirSync(b).sort()).toEqual(names);
  for (const f of names) expect(Buffer.compare(readFileSync(join(a, f)), readFileSync(join(b, f))), f).toBe(0);
}

/** The manifest's size and sha256 of every file are those of the bytes on disk (they are hashed as written). */
function expectHonestManifest(dir: string): void {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, { size: number; sha256: string }> };
  expect(Object.keys(m.files).sort()).toEqual(readdirSync(dir).filter((f) => f !== 'manifest.json').sort());
  for (const [f, info] of Object.entries(m.files)) {
    const bytes = readFileSync(join(dir, f));
    expect(info.size, f).toBe(bytes.byteLength);
    expect(info.sha256, f).toBe(createHash('sha256').update(bytes).digest('hex'));
  }
}

describe('conversion with worker threads', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'convert-threads-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('--threads 2 writes byte-identical files to --threads 1 (q4 + fp32 decoders, every ImageBind format)', async () => {
    const args = ['--vicuna', VICUNA, '--delta', DELTA, '--imagebind', IMAGEBIND, '--imagebind-config', IMAGEBIND_CONFIG, '--imagebind-quant', 'all', '--quant', 'q4'];
    const one = await cli([...args, '--out', join(root, 't1'), '--threads', '1']);
    expect(one.code, one.err).toBe(0);
    expect(one.err).toMatch(/1 thread\)/);
    const two = await cli([...args, '--out', join(root, 't2'), '--threads', '2']);
    expect(two.code, two.err).toBe(0);
    expect(two.err).toMatch(/2 worker threads busy/);
    expect(readdirSync(join(root, 't2'))).toEqual(expect.arrayContaining(['decoder-q4.onnx.data', 'decoder-fp32.onnx.data', 'imagebind-video-q8.onnx.data', 'imagebind-text-q4.onnx.data']));
    expectSameFiles(join(root, 't1'), join(root, 't2'));
    expectHonestManifest(join(root, 't2'));
  });

  it('q8 token embeddings (quantised a few rows at a time, on a worker) are byte-identical too', async () => {
    const args = ['--vicuna', VICUNA, '--delta', DELTA, '--quant', 'q4', '--embed-tokens', 'q8'];
    for (const t of ['1', '2']) expect((await cli([...args, '--out', join(root, `e${t}`), '--threads', t])).code).toBe(0);
    expect(readdirSync(join(root, 'e2'))).toEqual(expect.arrayContaining(['embed_tokens.q8.bin', 'embed_tokens.q8.scales.f32.bin']));
    expectSameFiles(join(root, 'e1'), join(root, 'e2'));
    expectHonestManifest(join(root, 'e2'));
  });

  it('is byte-identical for fp16 with row-chunked weights split over several data files (3 threads)', async () => {
    // Small limits: lm_head splits into row chunks, and each decoder into many external data files.
    const o = { vicunaDir: VICUNA, deltaPath: DELTA, quant: 'fp16' as const, maxInitializerBytes: 1 << 20, maxDataFileBytes: 1.5 * 2 ** 20 };
    await convertPandaGpt({ ...o, outDir: join(root, 'f1'), threads: 1 });
    await convertPandaGpt({ ...o, outDir: join(root, 'f3'), threads: 3 });
    expect(readdirSync(join(root, 'f3')).filter((f) => f.startsWith('decoder-fp16.onnx.data')).length).toBeGreaterThan(3);
    expectSameFiles(join(root, 'f1'), join(root, 'f3'));
    expectHonestManifest(join(root, 'f3'));
  });

  it('fails cleanly with worker threads too: exit 1, no --out folder, no temp folder left', async () => {
    const out = join(root, 'late-failure');
    const r = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--imagebind', join(root, 'nope.pth'), '--out', out, '--threads', '2']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[CHECKPOINT_FORMAT\].*nope\.pth/);
    expect(readdirSync(root).filter((n) => n.startsWith('.late-failure') || n === 'late-failure')).toEqual([]);
  });

  it('rejects a bad --threads with exit 1', async () => {
    for (const bad of ['0', '1.5', 'many']) {
      const r = await cli(['--vicuna', VICUNA, '--delta', DELTA, '--out', join(root, 'bad'), '--threads', bad]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/--threads must be a positive integer/);
    }
  });
});
