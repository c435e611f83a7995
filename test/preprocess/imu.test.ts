import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preprocessImu } from '../../src/preprocess/index';
import { fixturePath, maxAbsDiff, media } from './fixtures';
import { readNpy } from '../helpers/npy';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const errCode = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

/** .npy bytes (float32, C order) for tests. */
function npyBytes(shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const b = Buffer.alloc(10 + header.length + values.length * 4);
  b.write('\x93NUMPY', 0, 'latin1');
  b[6] = 1;
  b.writeUInt16LE(header.length, 8);
  b.write(header, 10, 'latin1');
  values.forEach((v, i) => b.writeFloatLE(v, 10 + header.length + 4 * i));
  return b;
}

describe('IMU', () => {
  it('imu_walk.csv equals the reference exactly (first 2000 rows, transposed)', () => {
    const m = media('imu_walk');
    const t = preprocessImu(readFileSync(fixturePath(m.file)));
    const ref = readNpy(fixturePath(m.input!.file));
    expect(t.dims).toEqual(ref.shape);
    const d = maxAbsDiff(t.data, ref.data as Float32Array);
    console.log(`imu_walk max |Δ| = ${d}`);
    expect(d).toBe(0);
  });

  const rows = Array.from({ length: 10 }, (_, t) => Array.from({ length: 6 }, (_, c) => t * 10 + c + 0.5));
  const expectRows = (data: Float32Array): void => {
    for (let t = 0; t < 10; t++) for (let c = 0; c < 6; c++) expect(data[c * 2000 + t]).toBe(t * 10 + c + 0.5);
    expect(data.subarray(10, 2000).every((v) => v === 0)).toBe(true); // zero padding after the data
  };

  it('CSV without header, with header, JSON rows, JSON channels and .npy agree; short input is zero-padded', () => {
    const csv = rows.map((r) => r.join(',')).join('\n');
    expectRows(preprocessImu(enc(csv)).data);
    expectRows(preprocessImu(enc('ax,ay,az,gx,gy,gz\n' + csv + '\n')).data);
    expectRows(preprocessImu(enc(JSON.stringify(rows))).data);
    expectRows(preprocessImu(enc(JSON.stringify({ channels: [0, 1, 2, 3, 4, 5].map((c) => rows.map((r) => r[c])) }))).data);
    expectRows(preprocessImu(npyBytes([10, 6], rows.flat())).data);
    expectRows(preprocessImu(npyBytes([6, 10], [0, 1, 2, 3, 4, 5].flatMap((c) => rows.map((r) => r[c]!)))).data);
  });

  it('5 columns → MEDIA_BAD_SHAPE; text cell → MEDIA_BAD_SHAPE; empty → MEDIA_EMPTY', () => {
    expect(errCode(() => preprocessImu(enc('a,b,c,d,e\n1,2,3,4,5\n6,7,8,9,10\n')))).toBe('MEDIA_BAD_SHAPE');
    expect(errCode(() => preprocessImu(enc('1,2,3,4,5,6\n1,2,x,4,5,6\n')))).toBe('MEDIA_BAD_SHAPE');
    expect(errCode(() => preprocessImu(npyBytes([4, 5], Array(20).fill(1))))).toBe('MEDIA_BAD_SHAPE');
    expect(errCode(() => preprocessImu(new Uint8Array(0)))).toBe('MEDIA_EMPTY');
  });
});
