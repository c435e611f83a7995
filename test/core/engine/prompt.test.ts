import { describe, expect, it } from 'vitest';
import { buildPrompt, commonPrefixLength, promptBody } from '../../../src/core/engine/prompt';
import { PANDAGPT_PROMPT } from '../../../src/core/manifest';
import { caseHistory, referenceIndex } from '../../../e2e/support/reference-cases';
import { loadFixtureTokenizer } from '../tokenizer/load-fixture-tokenizer';

describe('PandaGPT prompt', () => {
  it('reproduces every reference case: [BOS] + ids_before + [MEDIA] + ids_after', async () => {
    const tok = await loadFixtureTokenizer();
    const cases = referenceIndex().llm.cases.filter((c) => c.media.length > 0) as unknown as {
      id: string; input: string; ids_before: number[]; ids_after: number[]; history: [string, string][]; media: string[]; media_kinds: string[];
    }[];
    expect(cases.length).toBe(7);
    for (const c of cases) {
      const items = buildPrompt({ template: PANDAGPT_PROMPT, tokenize: (s) => tok.encode(s), bosId: 1, history: caseHistory(c as never), input: c.input, mediaKey: 'm' });
      const want = [{ kind: 'token', id: 1 }, ...c.ids_before.map((id) => ({ kind: 'token', id })), { kind: 'media', key: 'm' }, ...c.ids_after.map((id) => ({ kind: 'token', id }))];
      expect(items, c.id).toEqual(want);
    }
  });

  it('uses the web_demo history format (spec §6.3)', () => {
    const body = promptBody(PANDAGPT_PROMPT, [{ user: 'What is in the picture?', assistant: 'A dog.' }], 'What color is it?');
    expect(body).toBe('What is in the picture?\n### Assistant: A dog.\n### Human: What color is it?\n### Assistant:');
    const two = promptBody(PANDAGPT_PROMPT, [{ user: 'a', assistant: 'b' }, { user: 'c', assistant: 'd' }], 'e');
    expect(two).toBe('a\n### Assistant: b\n### Human: c\n### Assistant: d\n### Human: e\n### Assistant:');
  });

  it('chats as text only when no medium is attached', async () => {
    const tok = await loadFixtureTokenizer();
    const items = buildPrompt({ template: PANDAGPT_PROMPT, tokenize: (s) => tok.encode(s), bosId: 1, history: [], input: 'Hi', mediaKey: null });
    expect(items[0]).toEqual({ kind: 'token', id: 1 });
    expect(items.some((i) => i.kind === 'media')).toBe(false);
    expect(tok.decode(items.slice(1).map((i) => (i.kind === 'token' ? i.id : -1)))).toBe('### Human: Hi\n### Assistant:');
  });

  it('finds the reusable prefix across turns', async () => {
    const tok = await loadFixtureTokenizer();
    const mk = (history: { user: string; assistant: string }[], input: string, key = 'm') =>
      buildPrompt({ template: PANDAGPT_PROMPT, tokenize: (s) => tok.encode(s), bosId: 1, history, input, mediaKey: key });
    const t1 = mk([], 'What is in the picture?');
    const t2 = mk([{ user: 'What is in the picture?', assistant: 'A dog.' }], 'What color is it?');
    const n = commonPrefixLength(t1, t2);
    // The whole first-turn prompt is a prefix of the second: only the answer and the new
    // question need a forward pass.
    expect(n).toBe(t1.length);
    // Other media: nothing after BOS + "### Human: <Img>" can be reused.
    expect(commonPrefixLength(t1, mk([], 'What is in the picture?', 'other'))).toBe(7);
  });
});
