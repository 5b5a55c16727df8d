import { useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { removeTarget, selectTarget, selectedTarget, useAppStore } from '../store/app-store.ts';
import { isLive } from '../store/run-events.ts';
import { useRunStore } from '../store/run-store.ts';
import { KIND_NAMES, targetOption } from '../target-words.ts';
import { AddTargetDialog } from './add-target-dialog.tsx';
import { ErrorNotice } from './error-notice.tsx';

/** Where deploys and History go: the built-in local Press Cloud, or targets added here (Press Cloud, Slideless, Cloudflare). */
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
        title={target ? `${target.name} (${KIND_NAMES[target.kind]}) — ${target.apiUrl}` : undefined}
        onChange={(event) => void selectTarget(event.target.value).then(setError)}
      >
        {targets.map((candidate) => (
          <option key={candidate.id} value={candidate.id}>
            {targetOption(candidate)}
          </option>
        ))}
      </select>
      <button type="button" className="button-quiet" onClick={() => setAdding(true)}>
        Add target…
      </button>
      {target && !target.builtIn && (
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
