import { PandaError } from '../../src/core/errors';

/**
 * A restricted pickle virtual machine: it understands the opcodes `torch.save` emits (protocol 2,
 * plus the few protocol 3/4 ones that newer writers use) but never imports or calls anything.
 * Globals are resolved through `resolveGlobal`, which either returns a harmless stand-in
 * (a `PickleCallable` or a tag) or throws; REDUCE only ever calls such stand-ins.
 */
export interface PickleCallable {
  readonly kind: 'callable';
  readonly qualname: string;
  call(args: unknown[]): unknown;
}

/** `dict` / `OrderedDict`: insertion-ordered; BUILD state (e.g. `_metadata`) is kept but unused. */
export class PickleDict {
  readonly map = new Map<unknown, unknown>();
  state: unknown;
}

export interface PickleHooks {
  resolveGlobal(module: string, name: string): unknown;
  persistentLoad(pid: unknown): unknown;
}

const MARK = Symbol('mark');

export function isCallable(v: unknown): v is PickleCallable {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'callable';
}

/** Runs the pickle program in `data` and returns the value STOP leaves on the stack. */
export function unpickle(data: Uint8Array, hooks: PickleHooks, file: string): unknown {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder();
  const latin1 = new TextDecoder('latin1');
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const fail = (why: string): never => {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: cannot read its pickle (${why} at byte ${p}).`, { file, offset: p });
  };
  const need = (n: number) => { if (p + n > data.length) fail('unexpected end of pickle'); };
  const u8 = () => { need(1); return data[p++]!; };
  const u16 = () => { need(2); const v = dv.getUint16(p, true); p += 2; return v; };
  const u32 = () => { need(4); const v = dv.getUint32(p, true); p += 4; return v; };
  const i32 = () => { need(4); const v = dv.getInt32(p, true); p += 4; return v; };
  const bytes = (n: number) => { need(n); const b = data.subarray(p, p + n); p += n; return b; };
  const line = () => { const end = data.indexOf(10, p); if (end < 0) fail('unterminated line'); const s = latin1.decode(data.subarray(p, end)); p = end + 1; return s; };
  const pop = () => { if (stack.length === 0) fail('stack underflow'); return stack.pop(); };
  const top = () => { if (stack.length === 0) fail('stack underflow'); return stack[stack.length - 1]; };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('MARK missing');
    const items = stack.splice(m!);
    return items;
  };
  const long = (b: Uint8Array): number => {
    // Little-endian two's complement; beyond 2^53 is meaningless for shapes and offsets.
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof PickleDict)) fail('SETITEM on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as PickleDict).map.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail('APPEND on a non-list');
    (target as unknown[]).push(...items);
  };
  const global = (module: string, name: string) => stack.push(hooks.resolveGlobal(module, name));

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: bytes(8); break; // FRAME (protocol 4): framing is irrelevant when the whole pickle is in memory
      case 0x2e: return pop(); // STOP
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x7d: stack.push(new PickleDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(long(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(long(bytes(u32()))); break; // LONG4
      case 0x47: { need(8); stack.push(dv.getFloat64(p, false)); p += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(text.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x54: stack.push(latin1.decode(bytes(u32()))); break; // BINSTRING
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET / LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); global(module, line()); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(); const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs strings');
        global(module as string, name as string);
        break;
      }
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const items = popMark(); const d = new PickleDict(); setItems(d, items); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x52: { // REDUCE: only stand-ins from resolveGlobal are callable, so nothing foreign runs
        const args = pop(); const fn = pop();
        if (!isCallable(fn) || !Array.isArray(args)) fail('REDUCE on a non-callable');
        stack.push((fn as PickleCallable).call(args as unknown[]));
        break;
      }
      case 0x62: { // BUILD
        const state = pop(); const obj = top();
        if (obj instanceof PickleDict) obj.state = state;
        else if (typeof obj !== 'object' || obj === null || isCallable(obj)) fail('BUILD on an unsupported object');
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
