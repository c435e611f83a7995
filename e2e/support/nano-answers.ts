/**
 * The greedy answers of PandaGPT-nano to its sample files, recorded by the Python evaluation
 * (training/out/samples/answers.json): a test that compares the page's whole answer with these can
 * fail on any broken link, where a single keyword the model says anyway could not.
 */
import { readFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { AppPage, NANO_SAMPLES } from './app-page';

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

/** Asserts that the answer names one word of every group (whole words, case-insensitive). */
export function expectNames(answer: string, required: string[][]): void {
  const w = words(answer);
  for (const group of required) expect(group.some((x) => w.has(x)), `answer ${JSON.stringify(answer)} should name ${group.join(' or ')}`).toBe(true);
}

/** Opens the app on the built-in PandaGPT-nano (wasm, greedy, 32 new tokens) and waits until it is ready. */
export async function openNanoApp(page: Page): Promise<AppPage> {
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { greedy: true, maxNewTokens: 32 } });
  await app.waitForModel();
  await expect(page.getByTestId('model-notice')).toContainText('PandaGPT-nano');
  return app;
}

/** Asks a question, waits for the whole answer and returns its text. */
export async function askNano(app: AppPage, question: string): Promise<string> {
  await app.ask(question);
  expect(await app.waitForAnswer()).toBe('done');
  return app.answerText();
}
