import { useEffect, useState } from 'react';
import type { Modality } from '../../core/manifest';
import { relabel, removeAttachment, setWeight } from '../controller/media-controller';
import { loadMedia } from '../persistence/conversations-db';
import type { Attachment } from '../store/types';

const RELABEL: Modality[] = ['image', 'thermal', 'depth'];

function useObjectUrl(id: string, enabled: boolean): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!enabled) return;
    let u: string | undefined;
    let live = true;
    void loadMedia(id).then((b) => {
      if (b && live) setUrl((u = URL.createObjectURL(b)));
    });
    return () => {
      live = false;
      if (u) URL.revokeObjectURL(u);
    };
  }, [id, enabled]);
  return url;
}

function Preview({ a }: { a: Attachment }) {
  const p = a.preview;
  const url = useObjectUrl(a.id, p?.kind === 'image');
  if (p?.kind === 'image' && url) return <img className="chip-thumb" src={url} alt="" />;
  if (p?.kind === 'video' && p.poster) return <img className="chip-thumb" src={p.poster} alt="" />;
  if (p?.kind === 'waveform') {
    const w = 64;
    const d = p.peaks.map((v, i) => `M${i} ${16 - v * 15}V${16 + v * 15}`).join('');
    return (
      <svg className="chip-thumb" viewBox={`0 0 ${w} 32`} preserveAspectRatio="none" aria-hidden="true">
        <path d={d} stroke="currentColor" strokeWidth="0.8" />
      </svg>
    );
  }
  if (p?.kind === 'imu') {
    const n = p.series[0]?.length ?? 0;
    const flat = p.series.flat();
    const lo = Math.min(...flat);
    const hi = Math.max(...flat);
    const y = (v: number): number => 30 - ((v - lo) / (hi - lo || 1)) * 28;
    return (
      <svg className="chip-thumb" viewBox={`0 0 ${Math.max(1, n - 1)} 32`} preserveAspectRatio="none" aria-hidden="true">
        {p.series.map((s, c) => (
          <polyline key={c} fill="none" strokeWidth="0.8" className={`imu-line imu-${c}`} points={s.map((v, i) => `${i},${y(v)}`).join(' ')} />
        ))}
      </svg>
    );
  }
  return <span className="chip-thumb chip-icon" aria-hidden="true">{a.modality.slice(0, 3)}</span>;
}

export function AttachmentChip({ conversationId, a, disabled }: { conversationId: string; a: Attachment; disabled: boolean }) {
  const canRelabel = RELABEL.includes(a.detected);
  return (
    <div className={`chip chip-${a.status}`} data-testid="attachment-chip" data-modality={a.modality} data-status={a.status}>
      <Preview a={a} />
      <div className="chip-main">
        <span className="chip-name" title={a.fileName}>
          {a.fileName}
        </span>
        <div className="chip-controls">
          {canRelabel ? (
            <select aria-label={`Treat ${a.fileName} as`} value={a.modality} disabled={disabled} onChange={(e) => void relabel(conversationId, a.id, e.target.value as Modality)}>
              {RELABEL.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          ) : (
            <span className="chip-modality">{a.modality}</span>
          )}
          <label className="chip-weight">
            <span className="sr-only">Weight of {a.fileName}</span>
            <input type="range" min={0} max={2} step={0.1} value={a.weight} disabled={disabled} onChange={(e) => setWeight(conversationId, a.id, Number(e.target.value))} />
            <span>×{a.weight.toFixed(1)}</span>
          </label>
        </div>
        {a.status === 'encoding' && <span className="muted small">Reading…</span>}
        {a.tags && a.tags.length > 0 && (
          <span className="chip-tags" data-testid="zero-shot-tags" title="What the encoder perceives (zero-shot)">
            {a.tags.slice(0, 3).map((t) => `${t.label} ${Math.round(t.score * 100)}%`).join(' · ')}
          </span>
        )}
      </div>
      <button type="button" className="icon-btn" aria-label={`Remove ${a.fileName}`} disabled={disabled} onClick={() => removeAttachment(conversationId, a.id)}>
        ×
      </button>
    </div>
  );
}
