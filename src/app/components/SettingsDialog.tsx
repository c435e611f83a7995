import { useEffect, useRef, type ReactNode } from 'react';
import { startModel } from '../controller/model-controller';
import { useApp } from '../store';
import type { Settings } from '../store/settings-slice';

function NumberField({ label, k, min, max, step, hint }: { label: string; k: 'temperature' | 'topP' | 'topK' | 'maxNewTokens'; min: number; max: number; step: number; hint?: string }) {
  const value = useApp((s) => s.settings[k]);
  const update = useApp((s) => s.updateSettings);
  return (
    <label className="field">
      <span>{label}</span>
      <input type="number" min={min} max={max} step={step} value={value} onChange={(e) => e.target.value !== '' && update({ [k]: Number(e.target.value) } as Partial<Settings>)} />
      {hint && <small className="muted">{hint}</small>}
    </label>
  );
}

export function SettingsDialog({ open, onClose, modelPanel }: { open: boolean; onClose: () => void; modelPanel?: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const s = useApp((x) => x.settings);
  const update = useApp((x) => x.updateSettings);
  const reset = useApp((x) => x.resetSettings);
  const defaults = useApp((x) => x.model.defaults);
  const backend = useApp((x) => x.model.backend);
  const generating = useApp((x) => x.chat.generating !== null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="settings" onClose={onClose} aria-labelledby="settings-title" data-testid="settings-dialog">
      <form method="dialog" className="settings-body">
        <h2 id="settings-title">Settings</h2>
        <fieldset>
          <legend>Generation</legend>
          <NumberField label="Temperature" k="temperature" min={0} max={2} step={0.05} />
          <NumberField label="Top-p" k="topP" min={0} max={1} step={0.01} />
          <NumberField label="Top-k" k="topK" min={0} max={1000} step={1} />
          <NumberField label="Max new tokens" k="maxNewTokens" min={1} max={2048} step={1} />
          <label className="field">
            <span>Seed</span>
            <input type="number" placeholder="random" value={s.seed ?? ''} onChange={(e) => update({ seed: e.target.value === '' ? null : Math.floor(Number(e.target.value)) })} />
          </label>
          <label className="field check">
            <input type="checkbox" checked={s.greedy} onChange={(e) => update({ greedy: e.target.checked })} />
            <span>Greedy decoding (ignores temperature, top-p, top-k)</span>
          </label>
          <button type="button" className="ghost" onClick={() => reset(defaults)}>
            Reset to PandaGPT defaults
          </button>
        </fieldset>
        <fieldset>
          <legend>Backend</legend>
          {backend && <p className="muted small" data-testid="backend-detail">In use: {backend.reason}</p>}
          <label className="field">
            <span>Run the model on</span>
            <select
              value={s.backend}
              data-testid="settings-backend"
              disabled={generating}
              onChange={(e) => {
                update({ backend: e.target.value as Settings['backend'] });
                void startModel();
              }}
            >
              <option value="auto">Automatic</option>
              <option value="webgpu">WebGPU</option>
              <option value="wasm">WebAssembly (CPU)</option>
            </select>
          </label>
        </fieldset>
        <fieldset>
          <legend>Appearance</legend>
          <label className="field">
            <span>Theme</span>
            <select value={s.theme} onChange={(e) => update({ theme: e.target.value as Settings['theme'] })} data-testid="settings-theme">
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </fieldset>
        {modelPanel && (
          <fieldset>
            <legend>Models</legend>
            {modelPanel}
          </fieldset>
        )}
        <div className="row end">
          <button type="submit" className="primary">
            Done
          </button>
        </div>
      </form>
    </dialog>
  );
}
