/**
 * Emits the protocol-2 pickle `torch.save(state_dict)` writes: an OrderedDict of
 * `_rebuild_tensor_v2` (optionally wrapped in `_rebuild_parameter`) with persistent-id storages.
 * It follows CPython's Pickler exactly (memo numbering, TUPLE1-3, SETITEMS batches of 1000,
 * smallest int opcode) so the bytes equal what PyTorch itself produces for the same tensors.
 */
export interface PickledTensor {
  name: string;
  /** `torch.<storageClass>`, e.g. HalfStorage. */
  storageClass: string;
  key: string;
  numel: number;
  offset: number;
  shape: number[];
  stride: number[];
  parameter: boolean;
}

const BATCH = 1000;

export function pickleStateDict(tensors: PickledTensor[], location: string): Uint8Array {
  const out: number[] = [];
  const memo = new Map<string, number>();
  const enc = new TextEncoder();
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const put = (id: string) => {
    const i = memo.size;
    memo.set(id, i);
    if (i < 256) out.push(0x71, i); else { out.push(0x72); u32(i); }
  };
  /** BINGET if memoized; returns whether it was. */
  const get = (id: string) => {
    const i = memo.get(id);
    if (i === undefined) return false;
    if (i < 256) out.push(0x68, i); else { out.push(0x6a); u32(i); }
    return true;
  };
  const str = (s: string, id?: string) => {
    if (id !== undefined && get(id)) return;
    const b = enc.encode(s);
    out.push(0x58); u32(b.length);
    for (const x of b) out.push(x);
    put(id ?? `fresh:${memo.size}`);
  };
  const global = (module: string, name: string) => {
    if (get(`global:${module}.${name}`)) return;
    for (const x of enc.encode(`c${module}\n${name}\n`)) out.push(x);
    put(`global:${module}.${name}`);
  };
  const int = (v: number) => {
    if (v >= 0 && v <= 0xff) out.push(0x4b, v);
    else if (v >= 0 && v <= 0xffff) out.push(0x4d, v & 0xff, v >> 8);
    else if (v >= -0x80000000 && v <= 0x7fffffff) { out.push(0x4a); u32(v); }
    else {
      // LONG1: minimal little-endian two's complement (pickle.encode_long)
      let x = BigInt(v);
      const bytes: number[] = [];
      const nbytes = Math.floor(x.toString(2).replace('-', '').length / 8) + 1;
      for (let i = 0; i < nbytes; i++) { bytes.push(Number(x & 0xffn)); x >>= 8n; }
      if (v < 0 && nbytes > 1 && bytes[nbytes - 1] === 0xff && bytes[nbytes - 2]! & 0x80) bytes.pop();
      out.push(0x8a, bytes.length, ...bytes);
    }
  };
  let tuples = 0;
  /** Saves a tuple of ints the way save_tuple does (EMPTY_TUPLE is not memoized). */
  const intTuple = (vals: number[]) => {
    if (vals.length === 0) { out.push(0x29); return; }
    if (vals.length <= 3) { vals.forEach(int); out.push(0x84 + vals.length); }
    else { out.push(0x28); vals.forEach(int); out.push(0x74); }
    put(`tuple:${tuples++}`);
  };
  const emptyOrderedDict = () => {
    global('collections', 'OrderedDict');
    out.push(0x29, 0x52); // EMPTY_TUPLE, REDUCE
    put(`od:${tuples++}`);
  };
  const tensor = (t: PickledTensor) => {
    if (t.parameter) global('torch._utils', '_rebuild_parameter');
    global('torch._utils', '_rebuild_tensor_v2');
    out.push(0x28); // MARK: the 6-tuple of _rebuild_tensor_v2 arguments
    out.push(0x28); // MARK: persistent id ('storage', cls, key, location, numel)
    str('storage', 'str:storage');
    global('torch', t.storageClass);
    str(t.key, `key:${t.key}`);
    str(location, 'str:location');
    int(t.numel);
    out.push(0x74); put(`tuple:${tuples++}`);
    out.push(0x51); // BINPERSID
    int(t.offset);
    intTuple(t.shape);
    intTuple(t.stride);
    out.push(0x89); // requires_grad: False (a Parameter pickles its detached .data)
    emptyOrderedDict(); // backward hooks
    out.push(0x74); put(`tuple:${tuples++}`);
    out.push(0x52); put(`tensor:${tuples++}`);
    if (t.parameter) {
      out.push(0x88); // requires_grad
      emptyOrderedDict();
      out.push(0x87); put(`tuple:${tuples++}`);
      out.push(0x52); put(`param:${tuples++}`);
    }
  };

  out.push(0x80, 2); // PROTO 2
  global('collections', 'OrderedDict');
  out.push(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  put('root');
  for (let i = 0; i < tensors.length; i += BATCH) {
    const batch = tensors.slice(i, i + BATCH);
    if (batch.length > 1) out.push(0x28);
    for (const t of batch) { str(t.name); tensor(t); }
    out.push(batch.length > 1 ? 0x75 : 0x73); // SETITEMS / SETITEM
  }
  out.push(0x2e); // STOP
  return Uint8Array.from(out);
}
