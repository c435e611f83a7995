/**
 * IMU input (no official loader; see imu.md): 6 channels (acc xyz, gyro xyz) × 2000 steps from
 * CSV (header optional), JSON or .npy. First 2000 rows; shorter recordings are zero-padded at the end.
 */
import { PandaError } from '../core/errors';
import { corrupt, emptyMedia } from './errors';
import { isNpy, parseNpy } from './npy';

export const IMU_CHANNELS = 6;
export const IMU_STEPS = 2000;

export interface ImuTensor {
  /** (1, 6, 2000) float32 */
  data: Float32Array;
  dims: number[];
  /** Rows found in the file and rows used (≤ 2000). */
  info: { rows: number; used: number; padded: number };
}

const badShape = (msg: string, details: Record<string, unknown> = {}): PandaError =>
  new PandaError('MEDIA_BAD_SHAPE', `${msg} IMU input needs 6 numeric columns: acc x,y,z then gyro x,y,z.`, details);

/** Rows of 6 numbers from CSV/TSV text; a first line that is not all numbers is a header. */
export function parseImuCsv(text: string): number[][] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  const rows: number[][] = [];
  lines.forEach((line, i) => {
    const cells = line.split(/[,;\t ]+/).filter((c) => c.length > 0);
    const nums = cells.map(Number);
    if (nums.some((x) => !Number.isFinite(x))) {
      if (i === 0) return; // header
      throw badShape(`Line ${i + 1} of the IMU CSV has a non-numeric value.`, { line: i + 1 });
    }
    if (nums.length !== IMU_CHANNELS) throw badShape(`Line ${i + 1} of the IMU CSV has ${nums.length} columns.`, { line: i + 1, columns: nums.length });
    rows.push(nums);
  });
  return rows;
}

/** JSON: `[[6 numbers], ...]` rows, or `{ "channels": [[...2000], ×6] }` channels-first. */
export function parseImuJson(text: string): number[][] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt('The IMU JSON does not parse.');
  }
  const isNumArray = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (Array.isArray(raw) && raw.every(isNumArray)) {
    raw.forEach((r, i) => {
      if (r.length !== IMU_CHANNELS) throw badShape(`Row ${i} of the IMU JSON has ${r.length} values.`, { row: i, columns: r.length });
    });
    return raw;
  }
  const ch = (raw as { channels?: unknown } | null)?.channels;
  if (Array.isArray(ch) && ch.every(isNumArray)) {
    if (ch.length !== IMU_CHANNELS) throw badShape(`The IMU JSON has ${ch.length} channels.`, { channels: ch.length });
    const n = Math.min(...ch.map((c) => c.length));
    return Array.from({ length: n }, (_, t) => ch.map((c) => c[t]!));
  }
  throw badShape('The IMU JSON is neither an array of rows nor {"channels": [...]}.');
}

/** .npy: (N, 6) rows, or (6, N) / (1, 6, N) channels-first as the model takes it. */
export function parseImuNpy(bytes: Uint8Array): number[][] {
  const { data, shape } = parseNpy(bytes);
  const s = shape[0] === 1 && shape.length === 3 ? shape.slice(1) : shape;
  if (s.length === 2 && s[1] === IMU_CHANNELS) return Array.from({ length: s[0]! }, (_, t) => Array.from(data.subarray(t * 6, t * 6 + 6)));
  if (s.length === 2 && s[0] === IMU_CHANNELS) return Array.from({ length: s[1]! }, (_, t) => Array.from({ length: 6 }, (_, c) => data[c * s[1]! + t]!));
  throw badShape(`The IMU .npy has shape (${shape.join(', ')}).`, { shape });
}

export function imuRowsToTensor(rows: number[][]): ImuTensor {
  if (rows.length === 0) throw badShape('The IMU file has no data rows.');
  const used = Math.min(rows.length, IMU_STEPS);
  const data = new Float32Array(IMU_CHANNELS * IMU_STEPS); // zero padding for short recordings
  for (let t = 0; t < used; t++) for (let c = 0; c < IMU_CHANNELS; c++) data[c * IMU_STEPS + t] = rows[t]![c]!;
  return { data, dims: [1, IMU_CHANNELS, IMU_STEPS], info: { rows: rows.length, used, padded: IMU_STEPS - used } };
}

/** Any supported IMU file by content: .npy magic, JSON ('[' or '{'), else CSV. */
export function imuToTensor(bytes: Uint8Array): ImuTensor {
  if (bytes.length === 0) throw emptyMedia('IMU file');
  if (isNpy(bytes)) return imuRowsToTensor(parseImuNpy(bytes));
  const text = new TextDecoder('utf-8').decode(bytes);
  const first = text.trimStart()[0];
  return imuRowsToTensor(first === '[' || first === '{' ? parseImuJson(text) : parseImuCsv(text));
}
