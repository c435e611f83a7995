/** Public types of the LLM engine (implementation: ./llm-engine.ts). Pure data: safe to send across workers. */
import type { Modality } from '../manifest';

/** One ImageBind vector (before llama_proj), as PandaGPT feeds it to the bridge. */
export interface MediaEmbedding {
  modality: Modality;
  /** Length = manifest.imagebind.outDim (1024 for ImageBind-Huge). */
  vector: Float32Array;
  /** Multimodal arithmetic weight; PandaGPT's plain sum is 1. */
  weight?: number;
}

export interface ChatTurn {
  user: string;
  assistant: string;
}

export interface SamplingParams {
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  /** Greedy (argmax) decoding; ignores temperature/top-p/top-k. */
  greedy?: boolean;
  /** Seed for the sampling RNG (deterministic when set). */
  seed?: number;
}

export type StopReason = 'stop-token' | 'eos' | 'length' | 'aborted';

export interface GenerateTimings {
  promptTokens: number;
  /** Prompt positions whose KV were reused from the previous turn. */
  reusedTokens: number;
  prefillMs: number;
  decodeMs: number;
  timeToFirstTokenMs: number;
  generatedTokens: number;
  /** Decode tokens/s (excluding prefill). */
  tokensPerSecond: number;
  /** Time per generated token spent outside session.run (sampling, tensor prep, callbacks). */
  overheadMsPerToken: number;
}

export interface GenerateResult {
  /** Ids of every generated token (including the stop token if one ended generation). */
  tokens: number[];
  /** The answer as shown to the user (stop suffix stripped, clean-up rules applied). */
  text: string;
  stopReason: StopReason;
  timings: GenerateTimings;
}

export interface TokenEvent {
  tokenId: number;
  /** Newly decodable text (never a broken UTF-8 sequence). */
  delta: string;
  /** Full answer so far. */
  text: string;
}

export interface GenerateRequest {
  prompt: string;
  history?: ChatTurn[];
  media?: MediaEmbedding[];
  params: SamplingParams;
}
