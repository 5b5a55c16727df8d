import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { useModalDialog } from '../hooks/use-modal-dialog.ts';
import { ErrorNotice } from './error-notice.tsx';

/**
 * A yes/no question in a modal dialog, for changes that cannot be taken
 * back with one click. The safe answer (Cancel) has the focus; the action
 * runs, and the dialog closes when main says it is done or shows its
 * refusal in words.
 */
export function ConfirmDialog({
  title,
  children,
  action,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  action: string;
  onConfirm: () => Promise<IpcError | null>;
  onClose: () => void;
}) {
  const dialog = useModalDialog();
  const cancel = useRef<HTMLButtonElement>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  // After useModalDialog's showModal: the safe answer has the focus.
  useEffect(() => {
    cancel.current?.focus();
  }, []);

  const confirm = async () => {
    setSending(true);
    setError(null);
    const refused = await onConfirm();
    setSending(false);
    if (refused) setError(refused);
    else onClose();
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="confirm-title" onCancel={onClose}>
      <div className="dialog-body">
        <h2 id="confirm-title">{title}</h2>
        {children}
        {error && <ErrorNotice error={error} />}
        <div className="dialog-actions">
          <button ref={cancel} type="button" className="button-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button-danger" onClick={() => void confirm()} disabled={sending}>
            {sending ? 'Working…' : action}
          </button>
        </div>
      </div>
    </dialog>
  );
}
