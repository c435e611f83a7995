/**
 * The greedy answers of PandaGPT-nano to its sample files, recorded by the Python evaluation
 * (training/out/samples/answers.json): a test that compares the page's whole answer with these can
 * fail on any broken link, where a single keyword the model says anyway could not.
 */
import { readFileSync } from 'node:fs';
import { NANO_SAMPLES } from './app-page';

interface Sample {
  files: string[];
  modality: string;
  question: string;
  key: string[][];
  model_answer: string;
}

const samples = (JSON.parse(readFileSync(`${NANO_SAMPLES}/answers.json`, 'utf8')) as { samples: Sample[] }).samples;

/** Every sample the evaluation recorded (61: images, tones, a word, video, thermal, depth, IMU, pairs, and wild inputs: a drawing, a photo, a quiet whistle, things from outside the world). */
export function allNanoSamples(): readonly Sample[] {
  return samples;
}

export function nanoAnswer(files: string[], question: string): Sample {
  const s = samples.find((x) => x.question === question && x.files.join('+') === files.join('+'));
  if (!s) throw new Error(`no recorded answer for ${files.join('+')} / ${question}`);
  return s;
}

const words = (text: string): Set<string> => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);

/** Every group of the sample's key is named (one word of each). */
export function namesKey(answer: string, key: string[][]): boolean {
  const w = words(answer);
  return key.every((group) => group.some((x) => w.has(x)));
}
