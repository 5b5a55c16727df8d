import { useCallback, useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RenderJobView, Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { plural } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { rememberRenderJobs, useRenderStore, versionRenderJobs } from '../store/render-store.ts';
import { RenderJobItem } from './render-job-item.tsx';

/**
 * A version's PDFs: its render jobs, newest first, as the server lists them
 * and as main reports their changes; the ones started here appear at once.
 */
export function RenderJobs({ target, versionId, route }: { target: Target; versionId: string; route: string | null }) {
  const fetchPage = useCallback(
    (cursor: string | null) => pressdrop['renders.list']({ targetId: target.id, versionId, cursor }),
    [target.id, versionId],
  );
  const listed = usePagedList<RenderJobView>(`${target.id}:${versionId}`, fetchPage);
  const jobs = useRenderStore(useShallow((state) => versionRenderJobs(state, target.id, versionId)));

  useEffect(() => {
    if (listed.items.length > 0) rememberRenderJobs(target.id, listed.items);
  }, [listed.items, target.id]);

  return (
    <section className="render-jobs" aria-labelledby="render-jobs-title">
      <h3 id="render-jobs-title">
        PDFs {jobs.length > 0 && <span className="muted">({plural(jobs.length, 'render')})</span>}
      </h3>
      {listed.status === 'failed' && listed.items.length === 0 && listed.error ? (
        <ErrorNotice error={listed.error} action={{ label: 'Try again', run: listed.reload }} />
      ) : (
        <ul className="item-list render-job-list" aria-label="Render jobs, newest first">
          {jobs.map((job) => (
            <RenderJobItem key={job.id} job={job} />
          ))}
        </ul>
      )}
      {listed.status === 'ready' && listed.complete && jobs.length === 0 && (
        <p className="empty render-jobs-empty">
          No PDF of this version yet. “Render PDF” prints its page ({route ?? '/index.html'}) as the server’s browser
          sees it.
        </p>
      )}
      {jobs.length > 0 && <LoadMore list={listed} what="renders" />}
    </section>
  );
}
