import { useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { startRender } from '../store/render-store.ts';

/** A "Render PDF" button's behaviour: queues a job (main follows it from there), waits while asked, keeps a refusal to show in words. */
export function useStartRender(
  targetId: string | null,
  versionId: string | null,
): { start: () => void; starting: boolean; error: IpcError | null; dismiss: () => void } {
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const start = () => {
    if (!targetId || !versionId || starting) return;
    setStarting(true);
    setError(null);
    void startRender(targetId, versionId).then((refused) => {
      setStarting(false);
      setError(refused);
    });
  };
  return { start, starting, error, dismiss: () => setError(null) };
}
