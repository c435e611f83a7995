import type { Graph } from '../../onnx/graph';
import type { ConverterPool } from '../../parallel/pool';
import type { LlmConfig, WeightFormat } from '../../../src/core/manifest';

/** What every make* function needs besides its inputs. */
export interface BuildCtx {
  g: Graph;
  config: LlmConfig;
  format: WeightFormat;
  /** Float type of activations: float16 for the fp16 variant, float32 otherwise. */
  act: 'float32' | 'float16';
  /** Largest single initializer in bytes (one GPU buffer); bigger weights are split by rows. */
  maxInitializerBytes: number;
  /** Worker pool for the weights' data (none: computed inline, one tensor at a time). */
  pool?: ConverterPool;
}

/**
 * Runs synchronous `fn` under the node-name scope path (e.g. ['model', 'layers.0', 'attn']).
 * Builders are async (weights stream in between ops) and `Graph.scope` is synchronous, so each
 * synchronous stretch re-enters its full path.
 */
export function scoped<T>(g: Graph, path: string[], fn: () => T): T {
  return path.reduceRight<() => T>((inner, name) => () => g.scope(name, inner), fn)();
}
