/** Tensor names at the decoder's boundary (written into the manifest's `llm.io`). */
import type { DecoderIo } from '../../../src/core/manifest';

export const DECODER_IO: DecoderIo = {
  inputsEmbeds: 'inputs_embeds',
  attentionMask: 'attention_mask',
  pastKey: 'past_key_values.{i}.key',
  pastValue: 'past_key_values.{i}.value',
  presentKey: 'present.{i}.key',
  presentValue: 'present.{i}.value',
  logits: 'logits',
  hiddenStates: 'hidden_states',
};

export const ioName = (template: string, i: number): string => template.replace('{i}', String(i));
