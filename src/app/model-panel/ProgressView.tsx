/** Download progress: total bytes, rate, time left, and one row per file. */
import type { ProgressSnapshot } from '../../model-store';
import { formatBytes, formatEta, formatRate } from './format';

export function ProgressView({ progress, label }: { progress: ProgressSnapshot; label: string }) {
  const { loaded, total, rate, etaSeconds, files } = progress;
  const pct = total ? Math.floor((loaded / total) * 100) : 0;
  return (
    <section className="model-progress" aria-label={`Downloading ${label}`}>
      <progress className="model-progress-bar" max={total || 1} value={loaded} aria-label="Total download progress" aria-valuetext={`${pct}%`} />
      <p className="model-progress-summary" aria-live="polite" data-testid="progress-summary">
        {formatBytes(loaded)} of {formatBytes(total)} ({pct}%) · {formatRate(rate)} · {formatEta(etaSeconds)}
      </p>
      <table className="model-progress-files">
        <caption className="visually-hidden">Files</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Progress</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.path} data-status={f.status}>
              <th scope="row">{f.path}</th>
              <td>
                <progress max={f.size || 1} value={f.loaded} aria-label={`${f.path} progress`} /> {formatBytes(f.loaded)} / {formatBytes(f.size)}
              </td>
              <td>{f.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
