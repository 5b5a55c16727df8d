import type { ReactNode } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { wordError } from '../error-words.ts';

/** An error in words: what to do (from the code), then what exactly happened, and an optional way out. */
export function ErrorNotice({
  error,
  action,
  extra,
  onDismiss,
  dismissLabel = 'Dismiss',
}: {
  error: IpcError;
  action?: { label: string; run: () => void } | undefined;
  extra?: ReactNode;
  onDismiss?: () => void;
  dismissLabel?: string;
}) {
  const { sentence, detail } = wordError(error);
  return (
    <div className="notice notice-error" role="alert">
      <span className="notice-icon" aria-hidden="true">
        !
      </span>
      <div className="notice-body">
        <p className="notice-sentence">{sentence}</p>
        {detail && <p className="notice-detail">{detail}</p>}
        {extra}
        {(action || onDismiss) && (
          <div className="notice-actions">
            {action && (
              <button type="button" onClick={action.run}>
                {action.label}
              </button>
            )}
            {onDismiss && (
              <button type="button" className="button-quiet" onClick={onDismiss}>
                {dismissLabel}
              </button>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
