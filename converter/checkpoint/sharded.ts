import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PandaError } from '../../src/core/errors';
import type { StoredTensor, TensorInfo, TensorSource } from './types';

/**
 * Several sources seen as one (HF shards). Names must be unique across shards; the index's
 * `weight_map` is checked against what the shards really contain.
 */
export class MergedSource implements TensorSource {
  private readonly owner = new Map<string, TensorSource>();

  constructor(private readonly sources: TensorSource[], private readonly label: string) {
    for (const s of sources) {
      for (const t of s.list()) {
        const prev = this.owner.get(t.name);
        if (prev) {
          throw new PandaError('CHECKPOINT_FORMAT', `${label}: tensor ${t.name} appears in both ${prev.info(t.name).file} and ${t.file}.`, { file: label, tensor: t.name });
        }
        this.owner.set(t.name, s);
      }
    }
  }

  list(): TensorInfo[] {
    return this.sources.flatMap((s) => s.list());
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  info(name: string): TensorInfo {
    return this.source(name).info(name);
  }

  readF32(name: string): Promise<Float32Array> {
    return this.source(name).readF32(name);
  }

  readStored(name: string): Promise<StoredTensor> {
    const s = this.source(name);
    if (!s.readStored) throw new Error(`internal: ${s.info(name).file} cannot read stored bytes`);
    return s.readStored(name);
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }

  private source(name: string): TensorSource {
    const s = this.owner.get(name);
    if (!s) throw new PandaError('CHECKPOINT_MISSING_TENSOR', `${this.label} has no tensor named ${name}.`, { file: this.label, tensor: name });
    return s;
  }
}

/** Opens every shard named in an HF `*.index.json` (`weight_map`), in first-mention order. */
export async function openShardIndex(indexPath: string, dir: string, openFile: (p: string) => Promise<TensorSource>): Promise<TensorSource> {
  let weightMap: Record<string, string>;
  try {
    weightMap = (JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
  } catch (e) {
    throw new PandaError('CHECKPOINT_FORMAT', `${indexPath} is not a valid shard index (${(e as Error).message}).`, { file: indexPath });
  }
  if (!weightMap || typeof weightMap !== 'object') {
    throw new PandaError('CHECKPOINT_FORMAT', `${indexPath} has no weight_map.`, { file: indexPath });
  }
  const shards = [...new Set(Object.values(weightMap))];
  for (const shard of shards) {
    if (!existsSync(join(dir, shard))) {
      throw new PandaError(
        'CHECKPOINT_MISSING_SHARD',
        `${indexPath} lists shard ${shard}, but ${join(dir, shard)} does not exist. Download all shards of the checkpoint.`,
        { file: indexPath, shard },
      );
    }
  }
  const sources: TensorSource[] = [];
  try {
    for (const shard of shards) sources.push(await openFile(join(dir, shard)));
    const merged = new MergedSource(sources, indexPath);
    for (const [name, shard] of Object.entries(weightMap)) {
      const src = sources[shards.indexOf(shard)]!;
      if (!src.has(name)) {
        throw new PandaError('CHECKPOINT_MISSING_TENSOR', `${indexPath} maps tensor ${name} to ${shard}, but that shard does not contain it.`, { file: join(dir, shard), tensor: name });
      }
    }
    return merged;
  } catch (e) {
    await Promise.all(sources.map((s) => s.close()));
    throw e;
  }
}
