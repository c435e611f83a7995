/** The page's worker bridges: one each, created on first use and shared by the controllers. */
import { useApp } from '../store';
import { EncoderBridge } from '../workers/encoder-bridge';
import { LlmBridge } from '../workers/llm-bridge';

let llm: LlmBridge | undefined;
let encoder: EncoderBridge | undefined;

function recoveryCallbacks(what: string) {
  const { setModel, pushToast } = useApp.getState();
  return {
    onCrash: (e: { message: string; code: string }) => {
      setModel({ banner: `${what}: ${e.message}` });
      pushToast({ kind: 'error', message: e.message, code: e.code });
    },
    onRecovered: () => setModel({ banner: `${what} was restarted after a crash; your conversation is kept.` }),
    onRecoveryFailed: (e: { message: string; code: string }) => {
      setModel({ state: 'error', error: e.message, banner: undefined });
      pushToast({ kind: 'error', message: `${what} could not be restarted: ${e.message}`, code: e.code });
    },
  };
}

export function llmBridge(): LlmBridge {
  llm ??= new LlmBridge(recoveryCallbacks('The language model'));
  return llm;
}

export function encoderBridge(): EncoderBridge {
  encoder ??= new EncoderBridge(recoveryCallbacks('The media encoder'));
  return encoder;
}
