/**
 * PandaGPT's prompt as a sequence of positions (spec §4–§6):
 *
 *   with media:  [BOS] tok("### Human: <Img>") [MEDIA] tok("</Img> " + body)
 *   text only:   [BOS] tok("### Human: " + body)
 *
 * where body = history turns in the web_demo format followed by the current input:
 *   turn 1:        "{q}\n### Assistant: {a}\n###"
 *   later turns:   " Human: {q}\n### Assistant: {a}\n###"
 *   current input: "{input}" (no history) or " Human: {input}", then "\n### Assistant:"
 *
 * The whole body is tokenised in one call each turn (never spliced from cached ids): the answer
 * text may re-tokenise differently from the ids that generated it.
 */
import type { PromptTemplate } from '../manifest';
import type { ChatTurn } from './types';

export type PromptItem = { kind: 'token'; id: number } | { kind: 'media'; key: string };

export interface Tokenize {
  (text: string): number[];
}

export function promptBody(t: PromptTemplate, history: ChatTurn[], input: string): string {
  let s = '';
  history.forEach((turn, i) => {
    s += `${i === 0 ? '' : t.humanTag}${turn.user}${t.assistantTag} ${turn.assistant}${t.turnEnd}`;
  });
  s += `${history.length ? t.humanTag : ''}${input}${t.assistantTag}`;
  return s;
}

export function buildPrompt(opts: {
  template: PromptTemplate;
  tokenize: Tokenize;
  bosId: number;
  history: ChatTurn[];
  input: string;
  /** Identity of the summed media token, or null for a text-only conversation. */
  mediaKey: string | null;
}): PromptItem[] {
  const { template: t, tokenize, bosId, history, input, mediaKey } = opts;
  const tok = (s: string): PromptItem[] => tokenize(s).map((id) => ({ kind: 'token', id }));
  const body = promptBody(t, history, input);
  const items: PromptItem[] = [{ kind: 'token', id: bosId }];
  if (mediaKey !== null) {
    items.push(...tok(t.mediaPrefix), { kind: 'media', key: mediaKey }, ...tok(t.mediaSuffix + body));
  } else {
    items.push(...tok(t.textPrefix + body));
  }
  return items;
}

export function sameItem(a: PromptItem, b: PromptItem): boolean {
  return a.kind === 'token' ? b.kind === 'token' && a.id === b.id : b.kind === 'media' && a.key === b.key;
}

export function commonPrefixLength(a: readonly PromptItem[], b: readonly PromptItem[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && sameItem(a[i]!, b[i]!)) i++;
  return i;
}
