import { useState } from 'react';
import type { IpcError, SavedPdf } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatTime } from '../format.ts';
import { useNow } from '../hooks/use-now.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import type { KnownRenderJob } from '../store/render-store.ts';
import { isRenderLive, renderJobWords, type RenderTone } from './render-words.ts';

/** Each tone's icon; the headline is what is read, the icon is decoration. */
const TONE_ICONS: Record<RenderTone, string> = { waiting: '○', busy: '◔', retrying: '↻', done: '✓', failed: '✕' };

/**
 * One render job: its state live (main reports each change), a countdown
 * while a retry waits, the failure in words, and for a finished PDF
 * "Open PDF" (the system viewer) and "Save PDF…" (main's save dialog).
 */
export function RenderJobItem({ job }: { job: KnownRenderJob }) {
  const now = useNow(job.status === 'retry_scheduled', 250);
  const words = renderJobWords(job, now);
  const [busy, setBusy] = useState<'opening' | 'saving' | null>(null);
  const [saved, setSaved] = useState<SavedPdf | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const pdfId = job.status === 'succeeded' ? job.pdfId : null;

  const open = async () => {
    if (!pdfId) return;
    setBusy('opening');
    setError(null);
    const answer = await pressdrop['pdf.open']({ targetId: job.targetId, pdfId });
    setBusy(null);
    if (!answer.ok) setError(answer.error);
  };
  const save = async () => {
    if (!pdfId) return;
    setBusy('saving');
    setError(null);
    const answer = await pressdrop['pdf.save']({ targetId: job.targetId, pdfId });
    setBusy(null);
    if (!answer.ok) setError(answer.error);
    // Cancelled in the dialog: nothing was written, and nothing needs saying.
    else if (answer.value) setSaved(answer.value);
  };

  return (
    <li className={`render-job tone-${words.tone}`} data-testid="render-job" data-status={job.status}>
      <div className="render-job-line">
        <span className="render-job-icon" aria-hidden="true">
          {TONE_ICONS[words.tone]}
        </span>
        {/* Live jobs announce their changes; a finished list stays quiet. */}
        <span className="render-job-headline" aria-live={isRenderLive(job) ? 'polite' : undefined}>
          {words.headline}
        </span>
        {words.facts && <span className="render-job-facts">{words.facts}</span>}
        <span className="muted render-job-time">started {formatTime(job.createdAt)}</span>
        {pdfId && (
          <span className="render-job-actions">
            <button type="button" className="button-primary" onClick={() => void open()} disabled={busy !== null}>
              {busy === 'opening' ? 'Opening…' : 'Open PDF'}
            </button>
            <button type="button" onClick={() => void save()} disabled={busy !== null}>
              {busy === 'saving' ? 'Saving…' : 'Save PDF…'}
            </button>
          </span>
        )}
      </div>
      {isRenderLive(job) && job.status !== 'retry_scheduled' && (
        <div
          className="bar bar-small is-running is-indeterminate"
          role="progressbar"
          aria-label={`Render: ${words.headline}`}
        >
          <div className="bar-fill" />
        </div>
      )}
      {words.reason && (
        <div className="render-job-reason">
          <p>{words.reason.sentence}</p>
          {words.reason.detail && <p className="notice-detail">{words.reason.detail}</p>}
        </div>
      )}
      {saved && (
        <p className="render-job-saved" role="status">
          Saved as <span className="path-inline">{saved.path}</span>
        </p>
      )}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
    </li>
  );
}
