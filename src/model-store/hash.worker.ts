/** Hashes model files off the page's thread (see hash-state.ts). */
import * as Comlink from 'comlink';
import { hasherTable } from './hash-state';

const table = hasherTable();
Comlink.expose({ ...table, update: (id: number, bytes: Uint8Array<ArrayBuffer>) => Comlink.transfer(table.update(id, bytes), [bytes.buffer]) });
