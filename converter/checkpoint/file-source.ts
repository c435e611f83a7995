/**
 * What every single-file checkpoint reader shares: a table of named tensor slots over one
 * random-access file. Subclasses only say how a slot's bytes become float32.
 */
import { PandaError } from '../../src/core/errors';
import type { RandomAccessFile } from './random-access-file';
import type { TensorInfo, TensorSource } from './types';

export abstract class FileTensorSource<S extends { info: TensorInfo }> implements TensorSource {
  constructor(
    protected readonly f: RandomAccessFile,
    protected readonly slots: Map<string, S>,
  ) {}

  abstract readF32(name: string): Promise<Float32Array>;

  list(): TensorInfo[] {
    return [...this.slots.values()].map((s) => s.info);
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  info(name: string): TensorInfo {
    return this.slot(name).info;
  }

  close(): Promise<void> {
    return this.f.close();
  }

  protected slot(name: string): S {
    const s = this.slots.get(name);
    if (!s) throw new PandaError('CHECKPOINT_MISSING_TENSOR', `${this.f.path} has no tensor named ${name}.`, { file: this.f.path, tensor: name });
    return s;
  }
}
