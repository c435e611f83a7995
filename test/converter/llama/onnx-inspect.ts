/** Reads back the parts of an ONNX ModelProto the tests check (nodes, initializers, io names). */
import { readFields } from '../../../converter/tokenizer/protobuf-reader';

export interface InspectedModel {
  opsets: Record<string, number>;
  nodes: { name: string; op: string; domain: string }[];
  initializers: { name: string; dims: number[]; byteLength: number; location?: string }[];
  inputs: string[];
  outputs: string[];
}

const text = (b?: Uint8Array): string => new TextDecoder().decode(b ?? new Uint8Array());

function packedVarints(b: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0;
  let shift = 0;
  for (const byte of b) {
    v += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      out.push(v);
      v = 0;
      shift = 0;
    } else shift += 7;
  }
  return out;
}

export function inspectModel(bytes: Uint8Array): InspectedModel {
  const m: InspectedModel = { opsets: {}, nodes: [], initializers: [], inputs: [], outputs: [] };
  for (const f of readFields(bytes)) {
    if (f.field === 8) {
      const sub = readFields(f.bytes!);
      m.opsets[text(sub.find((x) => x.field === 1)?.bytes)] = Number(sub.find((x) => x.field === 2)?.varint ?? 0n);
    }
    if (f.field !== 7) continue;
    for (const g of readFields(f.bytes!)) {
      if (![1, 5, 11, 12].includes(g.field)) continue;
      const sub = readFields(g.bytes!);
      const str = (n: number) => text(sub.find((x) => x.field === n)?.bytes);
      if (g.field === 1) m.nodes.push({ name: str(3), op: str(4), domain: str(7) });
      if (g.field === 11) m.inputs.push(str(1));
      if (g.field === 12) m.outputs.push(str(1));
      if (g.field === 5) {
        const dims = sub.filter((x) => x.field === 1).flatMap((x) => (x.bytes ? packedVarints(x.bytes) : [Number(x.varint)]));
        const ext = Object.fromEntries(
          sub
            .filter((x) => x.field === 13)
            .map((x) => {
              const kv = readFields(x.bytes!);
              return [text(kv.find((y) => y.field === 1)?.bytes), text(kv.find((y) => y.field === 2)?.bytes)];
            }),
        );
        const raw = sub.find((x) => x.field === 9)?.bytes;
        m.initializers.push({ name: str(8), dims, byteLength: ext.length ? Number(ext.length) : (raw?.length ?? 0), location: ext.location });
      }
    }
  }
  return m;
}
