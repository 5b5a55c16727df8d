import { useEffect, useState } from 'react';
import type { Deploy } from '../../../src-shared/api-types.ts';
import { formatTime, plural } from '../format.ts';
import type { PagedList } from '../hooks/use-paged-list.ts';
import { ErrorNotice } from './error-notice.tsx';
import { LoadMore } from './load-more.tsx';

/**
 * The deploys of the target, searchable by name or slug, as one radio
 * group (arrow keys move the choice). The API has no search, so a search
 * keeps fetching pages until every deploy has been looked at.
 */
export function ExistingDeployList({
  deploys,
  selectedId,
  onSelect,
}: {
  deploys: PagedList<Deploy>;
  selectedId: string | null;
  onSelect: (deploy: Deploy) => void;
}) {
  const [query, setQuery] = useState('');
  const needle = query.trim().toLowerCase();
  const shown = needle
    ? deploys.items.filter((deploy) => deploy.name.toLowerCase().includes(needle) || deploy.slug.includes(needle))
    : deploys.items;
  const { loadMore, status, complete } = deploys;

  useEffect(() => {
    if (needle && status === 'ready' && !complete) loadMore();
  }, [needle, status, complete, loadMore]);

  if (deploys.status === 'failed' && deploys.items.length === 0 && deploys.error) {
    return <ErrorNotice error={deploys.error} action={{ label: 'Try again', run: deploys.reload }} />;
  }
  return (
    <div className="existing-deploys">
      <label className="field">
        <span>Search deploys</span>
        <input
          type="search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder="Name or slug"
          autoComplete="off"
        />
      </label>
      <div className="deploy-options" role="radiogroup" aria-label="Deploys">
        {shown.map((deploy) => (
          <label key={deploy.id} className={`deploy-option${deploy.id === selectedId ? ' is-selected' : ''}`}>
            <input
              type="radio"
              name="deploy"
              value={deploy.id}
              checked={deploy.id === selectedId}
              onChange={() => onSelect(deploy)}
            />
            <span className="deploy-option-text">
              <span className="deploy-option-name">{deploy.name}</span>
              <span className="muted">
                {deploy.slug} · {plural(deploy.versionCount, 'version')}
                {deploy.latestVersion && ` · last ${formatTime(deploy.latestVersion.createdAt)}`}
              </span>
            </span>
          </label>
        ))}
        {deploys.status === 'ready' && deploys.complete && shown.length === 0 && (
          <p className="empty">
            {needle
              ? `No deploy matches “${query.trim()}”.`
              : 'There are no deploys here yet. Choose “A new deploy” to create the first one.'}
          </p>
        )}
        <LoadMore list={deploys} what="deploys" />
      </div>
    </div>
  );
}
