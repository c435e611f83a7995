/**
 * Creating onnxruntime sessions for bundle parts. The engines take a `PartLoader` so Node can
 * hand ORT file paths (it reads external data beside the graph itself) while the browser hands
 * bytes from the model store with `externalData`.
 */
import { widenF16Bytes } from './half';
import type { OnnxPart } from './manifest';
import type { OrtModule, OrtSession, SessionOptions } from './ort';

export type PartLoader = (part: OnnxPart, options: SessionOptions) => Promise<OrtSession>;

export type ReadFile = (path: string) => Promise<Uint8Array>;

/** Loads a part from bytes (browser, worker, tests): the graph plus each external data file. */
export function bytesPartLoader(ort: OrtModule, readFile: ReadFile): PartLoader {
  return async (part, options) => {
    const read = async (p: string): Promise<Uint8Array> => {
      const src = part.widen?.[p];
      return src ? widenF16Bytes(await readFile(src)) : readFile(p);
    };
    const [model, ...data] = await Promise.all([readFile(part.file), ...part.externalData.map(read)]);
    const externalData = part.externalData.map((path, i) => ({ path, data: data[i]! }));
    return ort.InferenceSession.create(model!, externalData.length ? { ...options, externalData } : options);
  };
}
