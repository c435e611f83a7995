import { copyFileSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../converter/checkpoint/index';
import { copyVicuna, DELTA, indexOfBytes, rezip, tempDir } from './zip-fixtures';

const SHARD1 = 'pytorch_model-00001-of-00002.bin';
const SHARD2 = 'pytorch_model-00002-of-00002.bin';
const ascii = (s: string) => new TextEncoder().encode(s);

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

describe('bad checkpoints fail with a clear PandaError', () => {
  it('a shard cut in the middle of its data is CHECKPOINT_TRUNCATED naming the shard', async () => {
    const dir = copyVicuna('trunc');
    const shard = join(dir, SHARD1);
    truncateSync(shard, Math.floor(statSync(shard).size / 2));
    const err = await codeOf(openCheckpoint(dir));
    expect(err.code).toBe('CHECKPOINT_TRUNCATED');
    expect(err.message).toContain(shard);
    expect(err.details.file).toBe(shard);
  });

  it('a file that shrinks after opening is CHECKPOINT_TRUNCATED naming file and tensor on read', async () => {
    const dir = copyVicuna('shrink');
    const src = await openCheckpoint(dir);
    const shard = join(dir, SHARD2);
    truncateSync(shard, 4096);
    const err = await codeOf(src.readF32('lm_head.weight'));
    expect(err.code).toBe('CHECKPOINT_TRUNCATED');
    expect(err.message).toContain(shard);
    expect(err.message).toContain('lm_head.weight');
    // Tensors of the intact shard still read.
    expect((await src.readF32('model.layers.0.input_layernorm.weight')).length).toBe(64);
    await src.close();
  });

  it('a missing shard is CHECKPOINT_MISSING_SHARD naming the index and the shard', async () => {
    const dir = copyVicuna('missing');
    rmSync(join(dir, SHARD2));
    const err = await codeOf(openCheckpoint(dir));
    expect(err.code).toBe('CHECKPOINT_MISSING_SHARD');
    expect(err.message).toContain(join(dir, 'pytorch_model.bin.index.json'));
    expect(err.message).toContain(SHARD2);
  });

  it('a pickle calling os.system is PICKLE_DISALLOWED_GLOBAL and nothing runs', async () => {
    const dir = tempDir('evil');
    const marker = join(dir, 'pwned');
    const cmd = ascii(`touch ${marker}`);
    // PROTO 2; GLOBAL 'os system'; BINUNICODE cmd; TUPLE1; REDUCE; STOP
    const evil = new Uint8Array([0x80, 2, ...ascii('cos\nsystem\n'), 0x58, cmd.length, 0, 0, 0, ...cmd, 0x85, 0x52, 0x2e]);
    const file = join(dir, 'pytorch_model.pt');
    await rezip(DELTA, file, (name, bytes) => (name === 'data.pkl' ? evil : bytes));
    const err = await codeOf(openCheckpoint(file));
    expect(err.code).toBe('PICKLE_DISALLOWED_GLOBAL');
    expect(err.message).toContain('os.system');
    expect(err.message).toContain(file);
    expect(existsSync(marker)).toBe(false);
  });

  it('a global hidden inside a real state dict (builtins.eval instead of OrderedDict) is refused too', async () => {
    const dir = tempDir('evil2');
    const file = join(dir, 'pytorch_model.pt');
    await rezip(DELTA, file, (name, bytes) => {
      if (name !== 'data.pkl') return bytes;
      const at = indexOfBytes(bytes, ascii('ctorch._utils\n_rebuild_parameter\n'));
      const evil = ascii('cbuiltins\neval\n');
      return new Uint8Array([...bytes.subarray(0, at), ...evil, ...bytes.subarray(at + 'ctorch._utils\n_rebuild_parameter\n'.length)]);
    });
    const err = await codeOf(openCheckpoint(file));
    expect(err.code).toBe('PICKLE_DISALLOWED_GLOBAL');
    expect(err.message).toContain('builtins.eval');
  });

  it('an unknown storage class is UNSUPPORTED_DTYPE naming file and tensor', async () => {
    const dir = tempDir('dtype');
    const file = join(dir, 'pytorch_model.pt');
    await rezip(DELTA, file, (name, bytes) => {
      if (name !== 'data.pkl') return bytes;
      const from = ascii('ctorch\nHalfStorage\n');
      const at = indexOfBytes(bytes, from);
      return new Uint8Array([...bytes.subarray(0, at), ...ascii('ctorch\nComplexFloatStorage\n'), ...bytes.subarray(at + from.length)]);
    });
    const err = await codeOf(openCheckpoint(file));
    expect(err.code).toBe('UNSUPPORTED_DTYPE');
    expect(err.message).toContain(file);
    expect(err.message).toContain('torch.ComplexFloatStorage');
    // The first tensor in the pickle is the first one to use the (memoized) storage class.
    expect(err.message).toContain('llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight');
  });

  it('a compressed (deflated) zip entry is rejected naming the tensor', async () => {
    const dir = copyVicuna('deflate');
    const shard = join(dir, SHARD2);
    const bytes = new Uint8Array(readFileSync(shard));
    // Mark storage 0 as deflate (method 8) in its local and central headers.
    const name = ascii('pytorch_model-00002-of-00002/data/0');
    const local = indexOfBytes(bytes, name) - 30;
    const central = indexOfBytes(bytes, name, local + 31) - 46;
    expect(new DataView(bytes.buffer).getUint32(central, true)).toBe(0x02014b50);
    bytes[local + 8] = 8;
    bytes[central + 10] = 8;
    writeFileSync(shard, bytes);
    const err = await codeOf(openCheckpoint(dir));
    expect(err.code).toBe('CHECKPOINT_FORMAT');
    expect(err.message).toMatch(/compressed/);
    expect(err.message).toContain(shard);
    expect(err.message).toContain('model.layers.1.mlp.down_proj.weight');
  });

  it('a directory without a checkpoint and a non-checkpoint file are CHECKPOINT_FORMAT', async () => {
    const dir = tempDir('empty');
    expect((await codeOf(openCheckpoint(dir))).code).toBe('CHECKPOINT_FORMAT');
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'this is not a checkpoint at all');
    expect((await codeOf(openCheckpoint(junk))).code).toBe('CHECKPOINT_FORMAT');
    copyFileSync(DELTA, join(dir, 'x.pt'));
    expect((await openCheckpoint(join(dir, 'x.pt'))).list()).toHaveLength(18);
  });
});
