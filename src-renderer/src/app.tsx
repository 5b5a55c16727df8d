import { useEffect } from 'react';
import { AppHeader } from './components/app-header.tsx';
import { DeployChooser } from './components/deploy-chooser.tsx';
import { DropZone } from './components/drop-zone.tsx';
import { PeerDeployChooser } from './components/peer-deploy-chooser.tsx';
import { ErrorNotice } from './components/error-notice.tsx';
import { ResumeBanner } from './components/resume-banner.tsx';
import { SessionView } from './components/session-view.tsx';
import { HistoryView } from './history/history-view.tsx';
import { dropItems, loadApp, selectedTarget, useAppStore } from './store/app-store.ts';
import { useRunStore } from './store/run-store.ts';

/** The window: header, then Deploy (drop zone → chooser → session) or History, and where the local server lives. */
export function App() {
  const info = useAppStore((state) => state.info);
  const loadError = useAppStore((state) => state.loadError);
  const view = useAppStore((state) => state.view);

  useEffect(() => {
    // A folder dropped anywhere on the window is taken as the folder to deploy (the drop zone only shows
    // where); without this, Chromium would navigate the window to the dropped file.
    const allow = (event: DragEvent) => event.preventDefault();
    const drop = (event: DragEvent) => {
      event.preventDefault();
      if (useAppStore.getState().view === 'deploy' && event.dataTransfer) void dropItems([...event.dataTransfer.files]);
    };
    window.addEventListener('dragover', allow);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', allow);
      window.removeEventListener('drop', drop);
    };
  }, []);

  return (
    <div className="app">
      <AppHeader />
      {/* Only this part scrolls: the header stays put, and the session's file list takes the height that is left. */}
      <div className="app-scroll">
        <main className="app-main">
          {loadError && <ErrorNotice error={loadError} action={{ label: 'Try again', run: () => void loadApp() }} />}
          {!info && !loadError && (
            <p className="muted" role="status">
              Starting…
            </p>
          )}
          {info && (view === 'deploy' ? <DeployPage /> : <HistoryView />)}
        </main>
        {info && (
          <footer className="app-footer">
            <span>
              Local Press Cloud at <code>{info.localServerUrl}</code>
            </span>
            <span className="footer-data" title={info.localDataDir}>
              data in <code>{info.localDataDir}</code>
            </span>
            <span>PressDrop {info.appVersion}</span>
          </footer>
        )}
      </div>
    </div>
  );
}

/** Deploy: the session while a run is shown; else resumable deploys, then the drop zone or the chooser. */
function DeployPage() {
  const status = useRunStore((state) => state.status);
  const folder = useAppStore((state) => state.folder);
  const target = useAppStore(selectedTarget);
  if (status !== 'idle') return <SessionView />;
  return (
    <>
      <ResumeBanner />
      {folder && target ? (
        target.kind === 'press-cloud' ? (
          <DeployChooser key={`${folder}:${target.id}`} folder={folder} target={target} />
        ) : (
          <PeerDeployChooser key={`${folder}:${target.id}`} folder={folder} target={target} />
        )
      ) : (
        <DropZone />
      )}
    </>
  );
}
