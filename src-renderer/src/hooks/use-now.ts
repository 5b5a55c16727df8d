import { useEffect, useState } from 'react';

/**
 * The time, re-read every `intervalMs` while `active` (a countdown is on
 * screen); still otherwise, so a list of finished jobs never re-renders.
 */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
