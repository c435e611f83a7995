/**
 * A small ONNX IR: values are names, nodes are appended in order, initializers either inline or
 * streamed straight to external data files (so a multi-GB model never sits in memory).
 *
 *   const g = new Graph('decoder', { sink });
 *   const x = g.input('x', 'float32', [1, 'S', 64]);
 *   const [y] = g.op('Relu', [x]);
 *   g.output(y, 'float32', [1, 'S', 64], 'y');
 *   const bytes = g.toModelBytes();
 *
 * Node names are hierarchical (`/model/layers.3/attn/q_proj/MatMul`) via `g.scope('...')`.
 */
import { widenF16Bytes } from '../../src/core/half';
import { ProtoWriter } from './proto';

export type ElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';

export const ONNX_DTYPE: Record<ElemType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export type Dim = number | string;
export type AttrValue = number | bigint | string | number[] | { floats: number[] } | { f: number } | TensorData;

export interface TensorData {
  dtype: ElemType;
  dims: number[];
  data: Uint8Array;
}

export interface ExternalPlacement {
  location: string;
  offset: number;
  length: number;
}

/**
 * Where big initializers go. `write` returns where the bytes landed (it may keep `bytes` until
 * they are written: do not change them afterwards). Sinks that take bytes still being computed
 * place them at once, write them in call order, and say when all is written.
 */
export interface ExternalDataSink {
  write(bytes: Uint8Array): ExternalPlacement;
  /** Initializers smaller than this stay inline in the .onnx file. */
  readonly inlineThreshold: number;
  /** Places `length` bytes that arrive later (in call order with `write`). */
  writeLater?(length: number, bytes: Promise<Uint8Array>): ExternalPlacement;
  /** Resolves once everything placed so far is written (never rejects). */
  written?(): Promise<void>;
  /** Waits for every pending write; rejects with the first failure. */
  flush?(): Promise<void>;
}

interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  domain: string;
  attrs: Record<string, AttrValue>;
}

interface Initializer {
  name: string;
  dtype: ElemType;
  dims: number[];
  inline?: Uint8Array;
  external?: ExternalPlacement;
  /** The fp16 file `external.location` is widened from (initializerF16AsF32). */
  widenedFrom?: string;
}

/** The float32 view of an fp16 external data file: `x.f16.data[.n]` → `x.f32.data[.n]`. */
export function widenedName(f16File: string): string {
  if (!f16File.includes('.f16.data')) throw new Error(`${f16File}: an fp16 data file's name holds ".f16.data"`);
  return f16File.replace('.f16.data', '.f32.data');
}

interface ValueInfo {
  name: string;
  dtype: ElemType;
  shape: Dim[];
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class Graph {
  private nodes: NodeDef[] = [];
  private inits: Initializer[] = [];
  private inputs: ValueInfo[] = [];
  private outputs: ValueInfo[] = [];
  private names = new Set<string>();
  private counter = 0;
  private scopes: string[] = [];
  private readonly sink?: ExternalDataSink;
  /** Where float32 initializers stored as fp16 go (see `widened`). */
  private readonly f16Sink?: ExternalDataSink;
  /** Data of initializers given as promises that has not arrived yet (inline ones). */
  private pending: Promise<void>[] = [];
  readonly opsetImports: Map<string, number> = new Map([['', 17]]);

  constructor(
    readonly name: string,
    opts: { sink?: ExternalDataSink; f16Sink?: ExternalDataSink; opset?: number } = {},
  ) {
    this.sink = opts.sink;
    this.f16Sink = opts.f16Sink;
    if (opts.opset) this.opsetImports.set('', opts.opset);
  }

  /** Run `fn` with `name` pushed on the node-name scope stack. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private prefix(): string {
    return '/' + this.scopes.join('/');
  }

  /** A fresh value name under the current scope. */
  fresh(hint: string): string {
    let n = `${this.prefix()}/${hint}`.replace(/\/+/g, '/');
    if (this.names.has(n)) n = `${n}_${this.counter++}`;
    this.names.add(n);
    return n;
  }

  input(name: string, dtype: ElemType, shape: Dim[]): string {
    this.inputs.push({ name, dtype, shape });
    this.names.add(name);
    return name;
  }

  output(value: string, dtype: ElemType, shape: Dim[], name?: string): string {
    let out = value;
    if (name && name !== value) {
      [out] = this.op('Identity', [value], { outputs: [name] });
    }
    this.outputs.push({ name: out, dtype, shape });
    return out;
  }

  /**
   * Append a node; returns its output names. `inputs` may contain '' for an omitted optional input.
   */
  op(
    op: string,
    inputs: string[],
    opts: { attrs?: Record<string, AttrValue>; outputs?: string[] | number; domain?: string; name?: string } = {},
  ): string[] {
    const nOut = typeof opts.outputs === 'number' ? opts.outputs : opts.outputs?.length ?? 1;
    const base = opts.name ?? op;
    const outputs = Array.isArray(opts.outputs) ? opts.outputs : Array.from({ length: nOut }, (_, i) => this.fresh(`${base}_output_${i}`));
    outputs.forEach((o) => this.names.add(o));
    const domain = opts.domain ?? '';
    if (domain && !this.opsetImports.has(domain)) this.opsetImports.set(domain, 1);
    this.nodes.push({ op, inputs, outputs, name: this.fresh(base), domain, attrs: opts.attrs ?? {} });
    return outputs;
  }

  /** Single-output convenience. */
  op1(op: string, inputs: string[], opts: { attrs?: Record<string, AttrValue>; domain?: string; name?: string } = {}): string {
    return this.op(op, inputs, { ...opts, outputs: 1 })[0]!;
  }

  /**
   * An initializer; `data` may be a promise (computed on a worker): its place in the graph and in
   * the external data is fixed now, from `dims`, so the file is the same as with the data in hand.
   * Call `settle()` before `toModelBytes()`.
   */
  initializer(name: string, dtype: ElemType, dims: number[], data: ArrayBufferView | Promise<ArrayBufferView>): string {
    const expected = dims.reduce((a, b) => a * b, 1) * elemSize(dtype);
    const check = (bytes: Uint8Array): Uint8Array => {
      if (dtype !== 'uint8' || expected !== 0) {
        if (bytes.byteLength !== Math.ceil(expected)) throw new Error(`initializer ${name}: ${bytes.byteLength} bytes for dims [${dims}] of ${dtype}`);
      }
      return bytes;
    };
    const init: Initializer = { name, dtype, dims };
    if (data instanceof Promise) {
      const bytes = data.then((d) => check(bytesOf(d)));
      bytes.catch(() => {}); // handled: the sink's flush() or settle() reports it
      const length = Math.ceil(expected);
      if (this.sink && length >= this.sink.inlineThreshold) {
        if (!this.sink.writeLater) throw new Error(`initializer ${name}: this graph's external data sink cannot take data that arrives later`);
        init.external = this.sink.writeLater(length, bytes);
      } else {
        const p = bytes.then((b) => {
          init.inline = b.slice();
        });
        p.catch(() => {}); // handled: settle() rethrows it
        this.pending.push(p);
      }
    } else {
      const bytes = check(bytesOf(data));
      if (this.sink && bytes.byteLength >= this.sink.inlineThreshold) init.external = this.sink.write(bytes);
      else init.inline = bytes.slice();
    }
    this.inits.push(init);
    this.names.add(name);
    return name;
  }

  /**
   * A float32 initializer whose bytes are stored as fp16 (`data`: the fp16 values): written to the
   * graph's `f16Sink`, referenced in the graph at twice the offsets in the file `widenedName(file)`,
   * which the loader makes by widening the fp16 file (OnnxPart.widen). Small ones stay inline,
   * widened here. Without an f16Sink, an fp16 initializer and a Cast (which onnxruntime folds when
   * the session is created).
   */
  initializerF16AsF32(name: string, dims: number[], data: ArrayBufferView | Promise<ArrayBufferView>): string {
    const length = dims.reduce((a, b) => a * b, 1) * 2;
    const sink = this.f16Sink;
    if (!sink) return this.op1('Cast', [this.initializer(`${name}.f16`, 'float16', dims, data)], { attrs: { to: 1 }, name: `Cast_${name.split('/').pop()}` });
    if (length < sink.inlineThreshold) {
      const widen = (d: ArrayBufferView): Uint8Array => widenF16Bytes(bytesOf(d));
      return this.initializer(name, 'float32', dims, data instanceof Promise ? data.then(widen) : widen(data));
    }
    const check = (d: ArrayBufferView): Uint8Array => {
      const b = bytesOf(d);
      if (b.byteLength !== length) throw new Error(`initializer ${name}: ${b.byteLength} fp16 bytes for dims [${dims}]`);
      return b;
    };
    let p: ExternalPlacement;
    if (data instanceof Promise) {
      if (!sink.writeLater) throw new Error(`initializer ${name}: this graph's fp16 sink cannot take data that arrives later`);
      p = sink.writeLater(length, data.then(check));
    } else {
      p = sink.write(check(data));
    }
    this.inits.push({ name, dtype: 'float32', dims, external: { location: widenedName(p.location), offset: 2 * p.offset, length: 2 * p.length }, widenedFrom: p.location });
    this.names.add(name);
    return name;
  }

  /** Widened external files this graph reads → the fp16 files that hold them (OnnxPart.widen). */
  get widened(): Record<string, string> {
    return Object.fromEntries(this.inits.flatMap((i) => (i.widenedFrom && i.external ? [[i.external.location, i.widenedFrom]] : [])));
  }

  /** Resolves once the data of every initializer added so far is in (and written); never rejects. */
  async whenWritten(): Promise<void> {
    await Promise.allSettled([...this.pending, this.sink?.written?.(), this.f16Sink?.written?.()]);
  }

  /** Waits for all initializer data (and its external writes); rejects with the first failure. */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
    await this.sink?.flush?.();
    await this.f16Sink?.flush?.();
  }

  constF32(hint: string, values: number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.initializer(this.fresh(hint), 'float32', dims, values instanceof Float32Array ? values : new Float32Array(values));
  }

  constI64(hint: string, values: number[], dims: number[] = [values.length]): string {
    return this.initializer(this.fresh(hint), 'int64', dims, new BigInt64Array(values.map((v) => BigInt(v))));
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Bytes of the largest initializer: one GPU buffer on WebGPU, checked against the device's limits. */
  get largestInitializerBytes(): number {
    return this.inits.reduce((m, i) => Math.max(m, i.inline?.length ?? i.external?.length ?? 0), 0);
  }

  get externalLocations(): string[] {
    return [...new Set(this.inits.flatMap((i) => (i.external ? [i.external.location] : [])))];
  }

  /** Serialise to ModelProto bytes. */
  toModelBytes(meta: { producer?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, 8); // ir_version
    w.string(2, meta.producer ?? 'pandagpt-web converter');
    w.string(3, '1');
    for (const [domain, version] of this.opsetImports) {
      w.message(8, (o) => {
        if (domain) o.string(1, domain);
        o.int(2, version);
      });
    }
    if (meta.docString) w.string(6, meta.docString);
    w.message(7, (g) => this.writeGraph(g));
    for (const [k, v] of Object.entries(meta.metadata ?? {})) {
      w.message(14, (e) => e.string(1, k).string(2, v));
    }
    return w.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    const missing = this.inits.find((i) => !i.inline && !i.external);
    if (missing) throw new Error(`initializer ${missing.name}: data not in yet (await graph.settle() before toModelBytes)`);
    for (const n of this.nodes) {
      g.message(1, (p) => {
        for (const i of n.inputs) p.string(1, i);
        for (const o of n.outputs) p.string(2, o);
        p.string(3, n.name);
        p.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs)) p.message(5, (a) => writeAttr(a, k, v));
        if (n.domain) p.string(7, n.domain);
      });
    }
    g.string(2, this.name);
    for (const init of this.inits) g.message(5, (t) => writeInitializer(t, init));
    for (const v of this.inputs) g.message(11, (p) => writeValueInfo(p, v));
    for (const v of this.outputs) g.message(12, (p) => writeValueInfo(p, v));
  }
}

export function elemSize(t: ElemType): number {
  switch (t) {
    case 'float32':
    case 'int32':
      return 4;
    case 'int64':
      return 8;
    case 'float16':
      return 2;
    case 'uint8':
    case 'int8':
    case 'bool':
      return 1;
  }
}

function writeTensor(t: ProtoWriter, td: TensorData, name?: string): void {
  t.packedInts(1, td.dims);
  t.int(2, ONNX_DTYPE[td.dtype]);
  if (name) t.string(8, name);
  t.bytes(9, td.data);
}

function writeInitializer(t: ProtoWriter, init: Initializer): void {
  if (init.dims.length) t.packedInts(1, init.dims);
  t.int(2, ONNX_DTYPE[init.dtype]);
  t.string(8, init.name);
  if (init.inline) {
    t.bytes(9, init.inline);
  } else if (init.external) {
    const ext = init.external;
    t.message(13, (e) => e.string(1, 'location').string(2, ext.location));
    t.message(13, (e) => e.string(1, 'offset').string(2, String(ext.offset)));
    t.message(13, (e) => e.string(1, 'length').string(2, String(ext.length)));
    t.int(14, 1); // data_location = EXTERNAL
  }
}

function writeValueInfo(p: ProtoWriter, v: ValueInfo): void {
  p.string(1, v.name);
  p.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, ONNX_DTYPE[v.dtype]);
      tt.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function writeAttr(a: ProtoWriter, name: string, v: AttrValue): void {
  a.string(1, name);
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && !Number.isInteger(v)) throw new Error(`attribute ${name}: use {f: x} for floats`);
    a.int(3, v);
    a.int(20, 2);
  } else if (typeof v === 'string') {
    a.string(4, v);
    a.int(20, 3);
  } else if (Array.isArray(v)) {
    a.packedInts(8, v);
    a.int(20, 7);
  } else if ('floats' in v) {
    a.packedFloats(7, v.floats);
    a.int(20, 6);
  } else if ('f' in v) {
    a.float(2, v.f);
    a.int(20, 1);
  } else {
    a.message(5, (t) => writeTensor(t, v));
    a.int(20, 4);
  }
}
