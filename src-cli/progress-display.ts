import type { DeployResult } from '../src-core/deploy-run.ts';
import { formatBytes, formatDuration, formatSpeed } from '../src-shared/units.ts';
import type { DeployTotals } from '../src-shared/upload-model.ts';

const PHASE_WORDS = {
  scan: 'Scanning',
  hash: 'Hashing',
  check: 'Checking',
  upload: 'Uploading',
  commit: 'Committing',
} as const;
const BAR_WIDTH = 24;

/** One status line for a terminal: phase, a bar, bytes, speed, ETA, skipped bytes and retries. */
export function statusLine(totals: DeployTotals, paused: boolean): string {
  const words = paused ? 'Paused' : PHASE_WORDS[totals.phase];
  if (totals.phase === 'scan') return `${words}…`;
  const [done, all] =
    totals.phase === 'hash' ? [totals.hashedBytes, totals.totalBytes] : [totals.sentBytes, totals.uploadBytes];
  const ratio = all > 0 ? Math.min(1, done / all) : 1;
  const filled = Math.round(ratio * BAR_WIDTH);
  const parts = [
    `${words.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`,
    `${formatBytes(done)} / ${formatBytes(all)}`,
  ];
  if (totals.phase === 'upload' || totals.phase === 'commit') {
    if (totals.bytesPerSecond !== null) parts.push(formatSpeed(totals.bytesPerSecond));
    if (totals.etaSeconds !== null) parts.push(`ETA ${formatDuration(totals.etaSeconds)}`);
    if (totals.skippedBytes > 0) parts.push(`${formatBytes(totals.skippedBytes)} already there`);
  }
  if (totals.retries > 0) parts.push(`${totals.retries} retr${totals.retries === 1 ? 'y' : 'ies'}`);
  return parts.join('  ');
}

/** The summary printed after a commit. */
export function summaryLines(result: DeployResult, seconds: number): string[] {
  const { totals, deployVersion } = result;
  const lines = [
    `Deployed version ${deployVersion.displayId} (${deployVersion.id}) in ${formatDuration(seconds)}.`,
    `  ${totals.fileCount} files, ${formatBytes(totals.totalBytes)}: uploaded ${formatBytes(totals.uploadBytes)}, ${formatBytes(totals.skippedBytes)} already on the server.`,
  ];
  if (totals.retries > 0) lines.push(`  ${totals.retries} request(s) were retried.`);
  const phases = (['scan', 'hash', 'check', 'upload', 'commit'] as const)
    .filter((phase) => totals.phaseMs[phase] !== undefined)
    .map((phase) => `${phase} ${phaseTime(totals.phaseMs[phase]!)}`);
  if (phases.length > 0) lines.push(`  Time: ${phases.join(' · ')}.`);
  if (result.previewUrl) lines.push(`  Preview: ${result.previewUrl}`);
  return lines;
}

/** A phase's time: milliseconds under a second (start-up, a no-op's steps), else as durations read elsewhere. */
function phaseTime(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms / 1000);
}
