import type { PauseReason } from '../../src-shared/upload-model.ts';

/** What the system's holds mean to the user; the system lifts them by itself. */
const SYSTEM_HOLDS: Record<Exclude<PauseReason, 'user'>, string> = {
  offline: 'This computer is offline',
  sleep: 'The computer went to sleep',
};

/**
 * Why nothing is being sent, and what brings it back. The user's own pause
 * comes first: only they can lift it. Their Resume lifts the system's holds
 * too (they may know the network is back before the OS does).
 */
export function pauseSentence(reasons: readonly PauseReason[]): string {
  // Offline says more than sleep: it is what a wake may still leave in place.
  const system = (['offline', 'sleep'] as const).find((reason) => reasons.includes(reason));
  const held = system && SYSTEM_HOLDS[system];
  if (reasons.includes('user')) {
    const also = held ? ` ${held} as well; Resume tries anyway.` : '';
    return `Paused: nothing is being sent. Resume continues where it stopped.${also}`;
  }
  return `${held ?? 'Held'}: nothing is being sent. Uploads continue by themselves when it is back; Resume tries now.`;
}
