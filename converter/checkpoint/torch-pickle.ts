import { PandaError } from '../../src/core/errors';
import { PickleDict, unpickle, type PickleCallable, type PickleHooks } from './pickle-reader';
import type { StorageDType } from './types';

/** `torch.<Name>Storage` class names and the dtype each stores. */
export const STORAGE_DTYPES: Record<string, StorageDType> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** A storage class tag; `dtype` is undefined for storage classes we cannot convert (complex, quantized...). */
interface StorageType { kind: 'storageType'; name: string; dtype?: StorageDType }

/** One persistent storage: the zip entry `<archive>/data/<key>`. */
export interface StorageRef { kind: 'storage'; type: StorageType; key: string; location: string; numel: number }

/** A tensor as torch pickles it: a strided view into a storage. Shape/stride/offset in elements. */
export interface TensorRef { kind: 'tensor'; storage: StorageRef; offset: number; shape: number[]; stride: number[] }

function callable(qualname: string, call: (args: unknown[]) => unknown): PickleCallable {
  return { kind: 'callable', qualname, call };
}

function intList(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x)) ? (v as number[]) : undefined;
}

/** Parses torch's `data.pkl` with an allow-list of globals; everything else is refused before it can run. */
export function unpickleTorch(data: Uint8Array, file: string): unknown {
  const bad = (why: string): never => {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: unexpected pickle content (${why}).`, { file });
  };
  const rebuildTensor = (args: unknown[]): TensorRef => {
    const [storage, offset, shape, stride] = args as [StorageRef, unknown, unknown, unknown];
    const sh = intList(shape);
    const st = intList(stride);
    if (storage?.kind !== 'storage' || typeof offset !== 'number' || !sh || !st || sh.length !== st.length) {
      bad('_rebuild_tensor_v2 with unexpected arguments');
    }
    return { kind: 'tensor', storage, offset: offset as number, shape: sh!, stride: st! };
  };
  const asTensor = (t: unknown): TensorRef => ((t as TensorRef)?.kind === 'tensor' ? (t as TensorRef) : bad('_rebuild_parameter of a non-tensor'));
  const allowed: Record<string, unknown> = {
    'collections.OrderedDict': callable('collections.OrderedDict', () => new PickleDict()),
    'torch._utils._rebuild_tensor_v2': callable('torch._utils._rebuild_tensor_v2', rebuildTensor),
    // A Parameter is its data tensor plus requires_grad/hooks (and, newer, a __dict__ state): keep the data.
    'torch._utils._rebuild_parameter': callable('torch._utils._rebuild_parameter', (a) => asTensor(a[0])),
    'torch._utils._rebuild_parameter_with_state': callable('torch._utils._rebuild_parameter_with_state', (a) => asTensor(a[0])),
  };
  const hooks: PickleHooks = {
    resolveGlobal(module, name) {
      const qualname = `${module}.${name}`;
      if (qualname in allowed) return allowed[qualname];
      if (module === 'torch' && /^[A-Z][A-Za-z0-9]*Storage$/.test(name)) {
        return { kind: 'storageType', name: qualname, dtype: STORAGE_DTYPES[name] } satisfies StorageType;
      }
      throw new PandaError(
        'PICKLE_DISALLOWED_GLOBAL',
        `${file}: the pickle references ${qualname}, which a plain state dict never needs; refusing to load it (nothing was executed). Save only the model's state_dict().`,
        { file, global: qualname },
      );
    },
    persistentLoad(pid) {
      // ('storage', storage_type, key, location, numel)
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) return bad('persistent id is not a storage');
      const [, type, key, location, numel] = pid as [string, StorageType, unknown, unknown, unknown];
      if (type?.kind !== 'storageType' || typeof key !== 'string' || typeof numel !== 'number') return bad('malformed storage id');
      return { kind: 'storage', type, key, location: String(location), numel } satisfies StorageRef;
    },
  };
  return unpickle(data, hooks, file);
}

/** Tensors of a (possibly nested) state dict, named by their dotted key path, in pickle order. */
export function collectTensors(root: unknown, file: string): Array<[string, TensorRef]> {
  const out: Array<[string, TensorRef]> = [];
  const walk = (v: unknown, prefix: string) => {
    if ((v as TensorRef)?.kind === 'tensor') {
      const t = v as TensorRef;
      if (!t.storage.type.dtype) {
        throw new PandaError(
          'UNSUPPORTED_DTYPE',
          `${file}: tensor ${prefix} is stored as ${t.storage.type.name}, which cannot be converted to float32. Cast it to float16/float32 before saving.`,
          { file, tensor: prefix, storageType: t.storage.type.name },
        );
      }
      out.push([prefix, t]);
    } else if (v instanceof PickleDict) {
      for (const [k, child] of v.map) walk(child, prefix ? `${prefix}.${String(k)}` : String(k));
    }
  };
  if (!(root instanceof PickleDict)) {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: the pickle is not a state dict (dict of tensors).`, { file });
  }
  walk(root, '');
  return out;
}
