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
  const held = (['offline', 'sleep'] as const).filter((reason) => reasons.includes(reason)).map((reason) => SYSTEM_HOLDS[reason]);
  if (reasons.includes('user')) {
    const also = held.length > 0 ? ` ${held[0]} as well; Resume tries anyway.` : '';
    return `Paused: nothing is being sent. Resume continues where it stopped.${also}`;
  }
  return `${held[0] ?? 'Held'}: nothing is being sent. Uploads continue by themselves when it is back; Resume tries now.`;
}
