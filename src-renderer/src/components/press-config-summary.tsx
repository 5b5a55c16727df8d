import { useEffect, useState } from 'react';
import type { FolderConfig, IpcError } from '../../../src-shared/ipc-contract.ts';
import { plural } from '../format.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { ErrorNotice } from './error-notice.tsx';

/** A render time limit as people read it: "20 s", "1.5 min". */
function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toLocaleString()} s` : `${(ms / 60_000).toLocaleString()} min`;
}

/**
 * What the folder's press.json will do to this deploy, read by main before
 * anything is sent: how its versions render to PDF and which aliases are
 * pointed at the new version; that there is none; or, in words, why it
 * cannot be used (main then refuses the deploy too). A new `readKey` reads
 * the file again (the chooser's, when main refused a deploy over it).
 */
export function PressConfigSummary({ folder, readKey }: { folder: string; readKey: number }) {
  const [answer, setAnswer] = useState<FolderConfig | null>(null);
  const [failure, setFailure] = useState<IpcError | null>(null);
  const [reads, setReads] = useState(0);

  useEffect(() => {
    let current = true;
    void pressdrop['folder.config']({ path: folder }).then((result) => {
      if (!current) return;
      setAnswer(result.ok ? result.value : null);
      setFailure(result.ok ? null : result.error);
    });
    return () => {
      current = false;
    };
  }, [folder, reads, readKey]);

  const readAgain = { label: 'Read press.json again', run: () => setReads((n) => n + 1) };
  if (failure) return <ErrorNotice error={failure} action={readAgain} />;
  if (!answer) return null;
  if (!answer.ok) return <ErrorNotice error={answer.error} action={readAgain} />;
  const { config } = answer;
  if (!config) {
    return (
      <p className="muted press-config-none" data-testid="press-config">
        No press.json in this folder: a PDF prints /index.html, and no alias moves after the deploy.
      </p>
    );
  }
  const render = config.render;
  const metadata = render?.metadata ? Object.keys(render.metadata).length : 0;
  return (
    <section className="press-config" aria-labelledby="press-config-title" data-testid="press-config">
      <h3 id="press-config-title">
        Settings from <code>press.json</code>
      </h3>
      <dl className="press-config-facts">
        <dt>PDF page</dt>
        <dd className="path-inline">{render?.route ?? '/index.html'}</dd>
        {render?.title !== undefined && (
          <>
            <dt>PDF title</dt>
            <dd>{render.title}</dd>
          </>
        )}
        {render?.renderTimeoutMs !== undefined && (
          <>
            <dt>Time limit</dt>
            <dd>{seconds(render.renderTimeoutMs)}</dd>
          </>
        )}
        {metadata > 0 && (
          <>
            <dt>Metadata</dt>
            <dd>{plural(metadata, 'field')}</dd>
          </>
        )}
        <dt>After the deploy</dt>
        <dd>
          {config.aliases.length > 0 ? (
            <>
              {config.aliases.map((alias) => (
                <span key={alias} className="chip">
                  {alias}
                </span>
              ))}{' '}
              {config.aliases.length === 1 ? 'points' : 'point'} to the new version
            </>
          ) : (
            <span className="muted">no alias moves</span>
          )}
        </dd>
      </dl>
      <button type="button" className="button-quiet" onClick={readAgain.run}>
        Read press.json again
      </button>
    </section>
  );
}
