/**
 * The fixture's LLM reference cases as engine requests: media vectors are the reference ImageBind
 * embeddings (what PandaGPT feeds llama_proj), prompts and history as recorded in index.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenerateRequest, MediaEmbedding } from '../../src/core/engine/types';
import type { Modality } from '../../src/core/manifest';
import { readNpy } from '../../test/helpers/npy';

export const FIXTURE = 'test/fixtures/pandagpt-tiny';

interface RefCase {
  id: string;
  media: string[];
  media_kinds: string[];
  history: { user?: string; assistant?: string }[] | [string, string][];
  input: string;
  greedy?: { ids: number[] };
}

export function referenceIndex(): { llm: { cases: RefCase[] }; media: { id: string; embedding: { file: string } }[] } {
  return JSON.parse(readFileSync(join(FIXTURE, 'reference/index.json'), 'utf8'));
}

export function caseMedia(c: RefCase): MediaEmbedding[] {
  const index = referenceIndex();
  return c.media.map((id, i) => {
    const m = index.media.find((x) => x.id === id)!;
    const kind = c.media_kinds[i] as Modality;
    return { modality: kind, vector: readNpy(join(FIXTURE, m.embedding.file)).data as Float32Array };
  });
}

export function caseHistory(c: RefCase): { user: string; assistant: string }[] {
  return (c.history as unknown[]).map((h) => (Array.isArray(h) ? { user: String(h[0]), assistant: String(h[1]) } : (h as { user: string; assistant: string })));
}

/** Engine requests for the cases that go through PandaGPT's prompt (bare_text has no template). */
export function referenceRequests(maxNewTokens: number): GenerateRequest[] {
  return referenceIndex()
    .llm.cases.filter((c) => c.media.length > 0)
    .map((c) => ({ prompt: c.input, history: caseHistory(c), media: caseMedia(c), params: { maxNewTokens, temperature: 1, topP: 1, topK: 0, greedy: true } }));
}
