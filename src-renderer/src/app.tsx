import { useEffect, useState } from 'react';
import type { AppInfo } from '../../src-shared/ipc-contract.ts';
import { pressdrop, unwrap } from './ipc/pressdrop.ts';

type Load = { state: 'loading' } | { state: 'ready'; info: AppInfo } | { state: 'failed'; message: string };

/** The window: for now, what PressDrop runs and where. */
export function App() {
  const [load, setLoad] = useState<Load>({ state: 'loading' });

  useEffect(() => {
    pressdrop['app.info'](null)
      .then(unwrap)
      .then((info) => setLoad({ state: 'ready', info }))
      .catch((error: unknown) => setLoad({ state: 'failed', message: error instanceof Error ? error.message : String(error) }));
  }, []);

  return (
    <main className="app">
      <h1>PressDrop</h1>
      {load.state === 'loading' && <p>Starting…</p>}
      {load.state === 'failed' && <p role="alert">PressDrop could not start: {load.message}</p>}
      {load.state === 'ready' && (
        <dl className="facts">
          <dt>Local Press Cloud</dt>
          <dd>
            <code>{load.info.localServerUrl}</code>
          </dd>
          <dt>Its data</dt>
          <dd>
            <code>{load.info.localDataDir}</code>
          </dd>
          <dt>Version</dt>
          <dd>{load.info.appVersion}</dd>
        </dl>
      )}
    </main>
  );
}
