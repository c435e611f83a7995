/**
 * Incremental SHA-256 for the model store: hash-wasm (WebAssembly, about 10× @noble/hashes in JS,
 * which capped downloads at 37 MiB/s) in module workers, so hashing a multi-GB bundle never blocks
 * the page. Where no Worker exists (Node tests) it hashes inline with the same library.
 *
 * Its state can be saved after any chunk and restored after a reload (hash-wasm's save/load), so a
 * resumed download need not re-read what is already stored. Records written by older versions
 * (a different state format) simply do not restore: callers then re-hash the stored chunks.
 */
import * as Comlink from 'comlink';
import { createSHA256, type IHasher } from 'hash-wasm';

export interface Sha256State {
  /** hash-wasm's saved state. */
  wasm: Uint8Array;
  /** Bytes hashed so far. */
  length: number;
}

/** One file's running hash. `update` resolves with the same bytes (they may travel to a worker and back). */
export interface Sha256Stream {
  update(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
  save(): Promise<Sha256State>;
  digest(): Promise<string>;
  readonly length: number;
  close(): void;
}

/** The worker's side (src/model-store/hash.worker.ts exposes it with Comlink). */
export interface HashWorkerApi {
  ping(): boolean;
  open(id: number, state: Uint8Array | null): Promise<boolean>;
  update(id: number, bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>;
  save(id: number): Uint8Array;
  digest(id: number): string;
  close(id: number): void;
}

/** A table of hashers by id: what each worker (or the inline fallback) holds. */
export function hasherTable(): HashWorkerApi {
  const hashers = new Map<number, IHasher>();
  const get = (id: number): IHasher => {
    const h = hashers.get(id);
    if (!h) throw new Error(`sha256 stream ${id} is not open`);
    return h;
  };
  return {
    ping: () => true,
    async open(id, state) {
      const h = await createSHA256();
      h.init();
      if (state) {
        try {
          h.load(state);
        } catch {
          return false; // not a state this library wrote
        }
      }
      hashers.set(id, h);
      return true;
    },
    update(id, bytes) {
      get(id).update(bytes);
      return bytes;
    },
    save: (id) => get(id).save(),
    digest(id) {
      const hex = get(id).digest('hex');
      hashers.delete(id);
      return hex;
    },
    close: (id) => void hashers.delete(id),
  };
}

interface Backend {
  api: Comlink.Remote<HashWorkerApi> | HashWorkerApi;
  remote: boolean;
  /** False when the worker could not start (e.g. offline before its script was ever fetched). */
  ready: Promise<boolean>;
}

const inline = (): Backend => ({ api: hasherTable(), remote: false, ready: Promise.resolve(true) });

let backends: Backend[] | undefined;
let fallback: Backend | undefined;
let next = 0;
let ids = 0;

function spawn(i: number): Backend {
  const w = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: `sha256-${i}` });
  const api = Comlink.wrap<HashWorkerApi>(w);
  const failed = new Promise<never>((_, reject) => w.addEventListener('error', reject, { once: true }));
  const ready = Promise.race([api.ping(), failed]).then(
    () => true,
    () => {
      w.terminate();
      return false;
    },
  );
  return { api, remote: true, ready };
}

async function pickBackend(): Promise<Backend> {
  if (!backends) {
    const canSpawn = typeof Worker === 'function' && typeof document !== 'undefined';
    const n = canSpawn ? Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2)) : 0;
    backends = [];
    for (let i = 0; i < n; i++) {
      try {
        backends.push(spawn(i));
      } catch {
        break;
      }
    }
  }
  const b = backends[next++ % Math.max(1, backends.length)];
  if (b && (await b.ready)) return b;
  // No worker: hash here (still hash-wasm, just on this thread).
  fallback ??= inline();
  return fallback;
}

/** A new running SHA-256 (there is always one: in place when no worker can start). */
export async function newSha256(): Promise<Sha256Stream> {
  const h = await openSha256();
  if (!h) throw new Error('unreachable: a fresh SHA-256 needs no state to restore');
  return h;
}

/**
 * A running SHA-256, continuing from `state` when given. Resolves to null when `state` cannot be
 * restored (then the caller re-hashes what it stored).
 */
export async function openSha256(state?: Sha256State | null): Promise<Sha256Stream | null> {
  const raw = state && state.wasm instanceof Uint8Array && Number.isInteger(state.length) ? state.wasm : null;
  if (state && !raw) return null;
  const b = await pickBackend();
  const id = ++ids;
  if (!(await b.api.open(id, raw))) return null;
  let length = state ? state.length : 0;
  return {
    get length() {
      return length;
    },
    async update(bytes) {
      length += bytes.length;
      return b.remote ? (b.api as Comlink.Remote<HashWorkerApi>).update(id, Comlink.transfer(bytes, [bytes.buffer])) : b.api.update(id, bytes);
    },
    async save() {
      return { wasm: await b.api.save(id), length };
    },
    digest: async () => b.api.digest(id),
    close: () => void b.api.close(id),
  };
}

const hex = (buf: ArrayBuffer): string => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * sha256 of one chunk, as hex, with the bytes back (they may travel to a worker and back).
 * WebCrypto where the page has it (a secure context): the platform's native SHA-256, several times
 * hash-wasm's speed and off the page's thread; otherwise hash-wasm in a worker.
 */
export async function sha256Piece(bytes: Uint8Array<ArrayBuffer>): Promise<{ hex: string; bytes: Uint8Array<ArrayBuffer> }> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return { hex: hex(await subtle.digest('SHA-256', bytes)), bytes };
  const h = await newSha256();
  const back = await h.update(bytes);
  return { hex: await h.digest(), bytes: back };
}
