import { showView, useAppStore } from '../store/app-store.ts';
import { isLive } from '../store/run-events.ts';
import { useRunStore } from '../store/run-store.ts';
import { TargetPicker } from './target-picker.tsx';

/** The top bar: the name, the two places (Deploy, History), and where deploys go. */
export function AppHeader() {
  const view = useAppStore((state) => state.view);
  const status = useRunStore((state) => state.status);
  const busy = isLive(status);
  return (
    <header className="app-header">
      <h1 className="brand">PressDrop</h1>
      <nav className="tabs" aria-label="Sections">
        <button
          type="button"
          className="tab"
          aria-current={view === 'deploy' ? 'page' : undefined}
          onClick={() => showView('deploy')}
        >
          Deploy
          {busy && view !== 'deploy' && (
            <span className="tab-badge" aria-label={status === 'paused' ? '(paused)' : '(in progress)'}>
              {status === 'paused' ? '❚❚' : '●'}
            </span>
          )}
        </button>
        <button
          type="button"
          className="tab"
          aria-current={view === 'history' ? 'page' : undefined}
          onClick={() => showView('history')}
        >
          History
        </button>
      </nav>
      <TargetPicker />
    </header>
  );
}
