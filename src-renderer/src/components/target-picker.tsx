import { useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { removeTarget, selectTarget, selectedTarget, useAppStore } from '../store/app-store.ts';
import { isLive } from '../store/run-events.ts';
import { useRunStore } from '../store/run-store.ts';
import { AddTargetDialog } from './add-target-dialog.tsx';
import { ErrorNotice } from './error-notice.tsx';

/** Which Press Cloud deploys and history go to: the built-in local one, or remote ones added here. */
export function TargetPicker() {
  const targets = useAppStore((state) => state.targets);
  const selectedId = useAppStore((state) => state.selectedTargetId);
  const target = useAppStore(selectedTarget);
  const status = useRunStore((state) => state.status);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  // Switching while a deploy runs would leave its session view pointing at the other target's history.
  const locked = isLive(status);

  return (
    <div className="target-picker">
      <label className="target-label" htmlFor="target-select">
        Deploy to
      </label>
      <select
        id="target-select"
        value={selectedId}
        disabled={locked}
        title={target ? `${target.name} — ${target.apiUrl}` : undefined}
        onChange={(event) => void selectTarget(event.target.value).then(setError)}
      >
        {targets.map((candidate) => (
          <option key={candidate.id} value={candidate.id}>
            {candidate.kind === 'local' ? 'This computer (local)' : candidate.name}
          </option>
        ))}
      </select>
      <button type="button" className="button-quiet" onClick={() => setAdding(true)}>
        Add Press Cloud…
      </button>
      {target?.kind === 'remote' && (
        <button
          type="button"
          className="button-quiet"
          disabled={locked}
          onClick={() => void removeTarget(target.id).then(setError)}
        >
          Remove
        </button>
      )}
      {adding && <AddTargetDialog onClose={() => setAdding(false)} />}
      {error && (
        <div className="target-error">
          <ErrorNotice error={error} onDismiss={() => setError(null)} />
        </div>
      )}
    </div>
  );
}
