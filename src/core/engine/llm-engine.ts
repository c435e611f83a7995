/**
 * The PandaGPT decoder engine: prompt → inputs_embeds (token rows + one projected media token) →
 * prefill → token-by-token decode with a KV cache, streaming, cancellation and cross-turn KV reuse.
 * Pure TypeScript with onnxruntime injected: the CLI (onnxruntime-node) and the LLM worker
 * (onnxruntime-web) run this very code.
 */
import { PandaError, throwIfAborted } from '../errors';
import type { BundleManifest, DecoderGroup, DecoderVariant, WeightFormat } from '../manifest';
import { decoderGroups, pickVariant } from '../manifest';
import type { Backend, OrtModule, OrtSession, OrtTensor, SessionOptions } from '../ort';
import { bytesPartLoader, type PartLoader, type ReadFile } from '../session-loader';
import { LlamaTokenizer } from '../tokenizer/llama-tokenizer';
import { f16ArrayToF32 } from '../half';
import { EmbeddingTable, projectMedia, readRawF32 } from './embeddings';
import { KvCache } from './kv-cache';
import { buildPrompt, commonPrefixLength, type PromptItem } from './prompt';
import { createRng, sampleToken } from './sampling';
import type { GenerateRequest, GenerateResult, StopReason, TokenEvent } from './types';

export interface LlmEngineOptions {
  ort: OrtModule;
  manifest: BundleManifest;
  readFile: ReadFile;
  backend: Backend;
  /** Force a decoder variant (else the manifest's recommendation for the backend). */
  variant?: WeightFormat;
  sessionOptions?: SessionOptions;
  /** How to create sessions (default: from bytes via readFile). */
  loadPart?: PartLoader;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onToken?: (e: TokenEvent) => void;
  /** The last position's logits after the prompt (parity tests across runtimes). */
  onPrefillLogits?: (logits: Float32Array) => void;
}

const now = (): number => performance.now();

export class LlmEngine {
  private cache: KvCache;
  private busy = false;
  /** Time spent inside session.run since the last reset (for the per-token overhead figure). */
  private sessionRunMs = 0;

  private constructor(
    private readonly ort: OrtModule,
    readonly manifest: BundleManifest,
    readonly variant: DecoderVariant,
    readonly backend: Backend,
    /** One session per layer group (one in all for a decoder in one graph), run in order. */
    private readonly sessions: GroupSession[],
    readonly tokenizer: LlamaTokenizer,
    private readonly embeddings: EmbeddingTable,
    private readonly proj: { weight: Float32Array; bias: Float32Array; inDim: number },
  ) {
    this.cache = new KvCache(ort, manifest.llm.config, manifest.llm.io, variant.ioDtype);
  }

  static async load(opts: LlmEngineOptions): Promise<LlmEngine> {
    const { ort, manifest, readFile, backend } = opts;
    const llm = manifest.llm;
    const variant = pickVariant(llm.decoders, backend, opts.variant);
    const groups = decoderGroups(variant, llm.config.numLayers);
    const optionsFor = (g: DecoderGroup): SessionOptions => {
      const sessionOptions: SessionOptions = { ...opts.sessionOptions };
      if (backend === 'webgpu') {
        // Keep the KV cache (and the hidden states between layer groups) on the GPU between steps
        // (web-runtime.md); logits come back to the CPU.
        const loc: Record<string, 'gpu-buffer'> = {};
        for (let i = g.layers[0]; i < g.layers[1]; i++) {
          loc[llm.io.presentKey.replace('{i}', String(i))] = 'gpu-buffer';
          loc[llm.io.presentValue.replace('{i}', String(i))] = 'gpu-buffer';
        }
        if (g.layers[1] < llm.config.numLayers && llm.io.hiddenStates) loc[llm.io.hiddenStates] = 'gpu-buffer';
        sessionOptions.preferredOutputLocation = loc;
      }
      return sessionOptions;
    };
    const loadPart = opts.loadPart ?? bytesPartLoader(ort, readFile);
    // One group at a time: only that group's bytes are held while its session is created (a 7B q4
    // decoder is 3.9 GB; its groups ≈ 0.6 GB each), and they are dropped once it exists.
    const createSessions = async (): Promise<GroupSession[]> => {
      const out: GroupSession[] = [];
      try {
        for (const g of groups) {
          const session = await loadPart(g, optionsFor(g));
          out.push({ session, inputs: new Set(session.inputNames) });
        }
      } catch (e) {
        await Promise.allSettled(out.map((x) => x.session.release()));
        throw e;
      }
      return out;
    };
    const decode = (b: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(b));
    const [sessions, tokenizerBytes, table, projW, projB] = await Promise.all([
      createSessions(),
      readFile(llm.tokenizer.file),
      EmbeddingTable.load(llm.embedTokens, readFile),
      readRawF32(llm.llamaProj.weight, readFile),
      readRawF32(llm.llamaProj.bias, readFile),
    ]);
    const tokenizer = LlamaTokenizer.fromJson(decode(tokenizerBytes), llm.tokenizer);
    const inDim = llm.llamaProj.weight.shape[1]!;
    return new LlmEngine(ort, manifest, variant, backend, sessions, tokenizer, table, { weight: projW, bias: projB, inDim });
  }

  /** Forget the KV cache (the next turn recomputes the whole prompt). */
  resetCache(): void {
    this.cache.reset();
  }

  async dispose(): Promise<void> {
    this.cache.reset();
    await Promise.all(this.sessions.map((s) => s.session.release()));
  }

  /** Positions currently held in the KV cache (for tests and the UI). */
  get cachedPositions(): number {
    return this.cache.length;
  }

  async generate(req: GenerateRequest, opts: GenerateOptions = {}): Promise<GenerateResult> {
    if (this.busy) throw new PandaError('INTERNAL', 'A generation is already running; stop it first.');
    this.busy = true;
    try {
      return await this.run(req, opts);
    } finally {
      this.busy = false;
    }
  }

  private async run(req: GenerateRequest, { signal, onToken, onPrefillLogits }: GenerateOptions): Promise<GenerateResult> {
    const t0 = now();
    const llm = this.manifest.llm;
    const params = req.params;
    const media = req.media?.length ? projectMedia(req.media, this.proj) : null;
    let history = [...(req.history ?? [])];
    let items = this.prompt(history, req.prompt, media?.key ?? null);
    // Keep room for at least one new token; drop the oldest turns first (the media token stays).
    const maxPos = llm.config.maxPositions;
    while (items.length >= maxPos && history.length > 0) {
      history = history.slice(1);
      items = this.prompt(history, req.prompt, media?.key ?? null);
    }
    if (items.length >= maxPos) {
      throw new PandaError('CONTEXT_TOO_LONG', `The message is ${items.length} tokens long; this model reads at most ${maxPos}. Shorten the message.`, { tokens: items.length, max: maxPos });
    }
    const maxNew = Math.max(0, Math.min(params.maxNewTokens, maxPos - items.length));

    // Reuse the cached prefix; always feed at least the last prompt position to get its logits.
    let reuse = Math.min(commonPrefixLength(this.cache.items, items), items.length - 1);
    if (reuse < this.cache.length) await this.cache.truncate(reuse);
    reuse = this.cache.length;

    const rng = createRng(params.seed ?? (Math.random() * 2 ** 32) >>> 0);
    const tokens: number[] = [];
    const stream = this.tokenizer.createStreamDecoder();
    let streamed = '';
    let stopReason: StopReason = 'length';
    let ttft = 0;
    const step = (newItems: PromptItem[]): Promise<Float32Array> => this.forward(newItems, media?.vector ?? null);

    throwIfAborted(signal);
    const prefillStart = now();
    let logits = await step(items.slice(reuse));
    const prefillMs = now() - prefillStart;
    onPrefillLogits?.(logits);
    this.sessionRunMs = 0;
    const decodeStart = now();
    while (tokens.length < maxNew) {
      const id = sampleToken(logits, params, rng);
      tokens.push(id);
      if (tokens.length === 1) ttft = now() - t0;
      const isStop = llm.stop.stopTokenIds.includes(id);
      const isEos = id === llm.stop.eosId;
      if (!isStop && !isEos) {
        const delta = stream.push(id);
        streamed += delta;
        if (delta) onToken?.({ tokenId: id, delta, text: streamed });
      }
      if (isStop) {
        stopReason = 'stop-token';
        break;
      }
      if (isEos) {
        stopReason = 'eos';
        break;
      }
      if (signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      if (tokens.length >= maxNew) break;
      logits = await step([{ kind: 'token', id }]);
    }
    const tail = stream.flush();
    if (tail) {
      streamed += tail;
      onToken?.({ tokenId: -1, delta: tail, text: streamed });
    }
    const decodeMs = now() - decodeStart;
    const decodeRuns = this.sessionRunMs;
    const text = this.finalText(tokens, stopReason);
    const n = tokens.length;
    return {
      tokens,
      text,
      stopReason,
      timings: {
        promptTokens: items.length,
        reusedTokens: reuse,
        prefillMs,
        decodeMs,
        timeToFirstTokenMs: ttft,
        generatedTokens: n,
        tokensPerSecond: n > 1 ? ((n - 1) * 1000) / Math.max(decodeMs, 1e-6) : 0,
        overheadMsPerToken: n ? Math.max(0, decodeMs - decodeRuns) / n : 0,
      },
    };
  }

  private prompt(history: GenerateRequest['history'] & object, input: string, mediaKey: string | null): PromptItem[] {
    const llm = this.manifest.llm;
    return buildPrompt({ template: llm.prompt, tokenize: (s) => this.tokenizer.encode(s), bosId: llm.tokenizer.bosId, history, input, mediaKey });
  }

  /** The answer text: a final stop/EOS token dropped, then the stop suffix (`\n`) stripped. */
  private finalText(tokens: number[], reason: StopReason): string {
    const stop = this.manifest.llm.stop;
    const ids = reason === 'stop-token' || reason === 'eos' ? tokens.slice(0, -1) : tokens;
    let text = this.tokenizer.decode(ids);
    if (reason === 'stop-token') {
      const suffix = stop.stripSuffixes.find((s) => text.endsWith(s));
      if (suffix) text = text.slice(0, -suffix.length);
    }
    return text;
  }

  /** Runs the decoder on new positions appended to the cache; returns last-position logits. */
  private async forward(newItems: PromptItem[], mediaVector: Float32Array | null): Promise<Float32Array> {
    const { config, io } = this.manifest.llm;
    const H = config.hiddenSize;
    const S = newItems.length;
    const embeds = new Float32Array(S * H);
    newItems.forEach((it, i) => {
      if (it.kind === 'token') this.embeddings.row(it.id, embeds.subarray(i * H, (i + 1) * H));
      else if (mediaVector) embeds.set(mediaVector, i * H);
      else throw new PandaError('INTERNAL', 'media position without a media vector');
    });
    const total = this.cache.length + S;
    const mask = new this.ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    const past = this.cache.feeds();
    const outputs: Record<string, OrtTensor> = {};
    // Layer groups in order, each fed the previous one's hidden states (on the GPU for WebGPU).
    let x = this.cache.floatTensor(embeds, [1, S, H]);
    try {
      for (const [k, { session, inputs }] of this.sessions.entries()) {
        const feeds: Record<string, OrtTensor> = { [io.inputsEmbeds]: x, [io.attentionMask]: mask };
        for (const name of inputs) if (name in past) feeds[name] = past[name]!;
        const runStart = now();
        const out = await session.run(feeds);
        this.sessionRunMs += now() - runStart;
        if (k > 0) disposeGpu(x);
        Object.assign(outputs, out);
        if (k < this.sessions.length - 1) {
          const h = io.hiddenStates && out[io.hiddenStates];
          if (!h) throw new PandaError('INTERNAL', `decoder layer group ${k} did not return "${io.hiddenStates ?? 'hidden_states'}"`);
          x = h;
          delete outputs[io.hiddenStates!];
        }
      }
    } catch (e) {
      disposeGpu(x);
      for (const t of Object.values(outputs)) disposeGpu(t);
      throw e;
    }
    const logitsT = outputs[io.logits];
    if (!logitsT) throw new PandaError('INTERNAL', `decoder did not return "${io.logits}"`);
    const logits = await toF32(logitsT);
    this.cache.update(outputs, newItems);
    return logits;
  }
}

interface GroupSession {
  session: OrtSession;
  inputs: Set<string>;
}

function disposeGpu(t: OrtTensor): void {
  if (t.location !== 'cpu') t.dispose();
}

async function toF32(t: OrtTensor): Promise<Float32Array> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return f16ArrayToF32(data);
  return Float32Array.from(data as ArrayLike<number>);
}
