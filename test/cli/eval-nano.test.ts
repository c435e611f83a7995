import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateNano, namesAll, renderReport, renderTable, renderTargets, targetRows, WILDSET_DIR, type EvalReport } from '../../cli/eval-nano';

describe('eval-nano answer matching', () => {
  it('needs every group, as whole words, case-insensitively', () => {
    expect(namesAll('It is a Red circle.', [['red'], ['circle']])).toBe(true);
    expect(namesAll('It is a red square.', [['red'], ['circle']])).toBe(false);
    expect(namesAll('There are three shapes.', [['three', '3']])).toBe(true);
    expect(namesAll('It is done.', [['one', '1']])).toBe(false); // "one" inside "done" does not count
    expect(namesAll('The pitch goes up.', [['up', 'rising']])).toBe(true);
    expect(namesAll('They are stars.', [['star']])).toBe(true);
    // a key word with a space needs all its parts ("I only know my small world ...")
    expect(namesAll('I do not know what this is. I only know my small world.', [['only know']])).toBe(true);
    expect(namesAll('I know: three white circles.', [['only know']])).toBe(false);
  });

  it('measures the issue\'s targets on the final answers, summing unknown over modalities', () => {
    const t = (n: number, final: number) => ({ n, zero_shot: 0, final });
    const r = { per_question_type: { image: { colour: t(20, 19), shape: t(20, 17), unknown: t(10, 8) }, audio: { pitch: t(10, 9), unknown: t(10, 7) } } };
    const rows = targetRows(r);
    const row = (name: string) => rows.find((x) => x.target.startsWith(name))!;
    expect(row('colour')).toMatchObject({ n: 20, right: 19, value: 0.95, met: true });
    expect(row('shape')).toMatchObject({ n: 20, right: 17, met: false });
    expect(row('pitch')).toMatchObject({ n: 10, right: 9, met: true });
    expect(row('"I don')).toMatchObject({ n: 20, right: 15, value: 0.75, met: false });
    expect(row('motion')).toMatchObject({ n: 0, value: null, met: null });
    const md = renderTargets([{ set: 'wild', targets: rows } as EvalReport]);
    expect(md).toContain('| colour (image) | ≥ 95% | 20 | 95% | met |');
    expect(md).toContain('| motion (video) | ≥ 80% | 0 | – | – |');
  });
});

/**
 * The shipped built-in bundle (PandaGPT-nano) on part of its held-out test set, through the
 * TypeScript preprocessing and onnxruntime-node: the answers must be the Python evaluation's
 * (training/out/eval.json, same checkpoints) and the image answers must stay right.
 * The full report is `npm run eval-nano`.
 */
describe('eval-nano on the built-in bundle', () => {
  it('answers the held-out image questions as the Python evaluation does, ≥ 90 % right (the issue\'s bar)', async () => {
    const r = await evaluateNano({ only: ['image'], threads: 1 });
    expect(r.per_modality.image!.n).toBe(384);
    const p = r.python_agreement!;
    expect(p.compared).toBe(384);
    expect(p.identical, JSON.stringify(p.differing.slice(0, 5))).toBe(384);
    expect(r.per_modality.image!.final / r.per_modality.image!.n).toBeGreaterThanOrEqual(0.9);
    expect(renderTable(r)).toContain('| **image** | **all** | 384 |');
  });

  it('the other modalities and image+audio (a sample) match the Python evaluation too', async () => {
    const r = await evaluateNano({ only: ['video', 'audio', 'thermal', 'depth', 'imu', 'image+audio'], limit: 6, threads: 1 });
    expect(Object.keys(r.per_modality).sort()).toEqual(['audio', 'depth', 'image+audio', 'imu', 'thermal', 'video']);
    const p = r.python_agreement!;
    expect(p.compared).toBe(r.answers.length);
    expect(p.identical, JSON.stringify(p.differing.slice(0, 5))).toBe(p.compared);
    const a = r.arithmetic_image_plus_audio.final;
    expect(a.both + a.image_only + a.audio_only + a.neither).toBe(6);
  });

  // The wild set (training/wild.py, committed in training/out/wildset) through the same path.
  it('the wild set (a sample, out-of-world items included) matches the Python evaluation too', async () => {
    expect(existsSync(join(WILDSET_DIR, 'wildset.json'))).toBe(true);
    const r = await evaluateNano({ set: 'wild', limit: 2, threads: 1 });
    expect(r.set).toBe('wild');
    expect(Object.keys(r.per_modality).sort()).toEqual(['audio', 'depth', 'image', 'image+audio', 'imu', 'thermal', 'video']);
    expect(r.per_question_type.image!.unknown!.n).toBe(4); // 2 photos x 2 questions
    expect(r.targets.find((t) => t.target.startsWith('"I don'))!.n).toBe(8); // + 2 sounds x 2 questions
    // training/out/eval.json's answers_wild: the Python evaluation of the same checkpoints
    const p = r.python_agreement!;
    expect(p.compared).toBe(r.answers.length);
    expect(p.identical, JSON.stringify(p.differing.slice(0, 5))).toBe(p.compared);
    expect(renderReport(r)).toContain('## Wild set (training/out/wildset)');
  });
});
