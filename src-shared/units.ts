/**
 * Sizes, speeds and durations in words, one way for the app, the CLI and the
 * engine's messages, so the same folder reads the same everywhere.
 *
 * Sizes are binary (1 KiB = 1024 B) and labelled so, because the server's
 * limits are powers of two: "8 GiB", not "8.6 GB". Precision: whole bytes;
 * one decimal below 100 (1.5 KiB, 12.3 MiB); whole numbers from 100 (118 MiB,
 * 1023 KiB). The unit is chosen from the rounded value, so a size never reads
 * "1024 KiB": just under 1 MiB reads "1.0 MiB".
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** The number shown for `value` in a unit above bytes: one decimal below 100, whole from 100. */
function digitsFor(value: number): string {
  return value.toFixed(value < 99.95 ? 1 : 0);
}

/** `0` → `0 B`, `1536` → `1.5 KiB`, `123456789` → `118 MiB`; negative or not a number → `—`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (Math.round(bytes) < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 1;
  // Step up while the number as shown would be 1024 or more (1023.6 KiB would show as "1024").
  while (Number(digitsFor(value)) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${digitsFor(value)} ${BYTE_UNITS[unit]}`;
}

/** Bytes per second as `12.3 MiB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * Seconds as `4.2 s` (one decimal below 10 s), `45 s`, `3 min 5 s`, `1 h 2 min`;
 * a zero last part is left out (`3 min`, `1 h`). Negative → `0.0 s`; not finite → `—`.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, seconds);
  if (s < 9.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) {
    const rest = whole % 60;
    return `${Math.floor(whole / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  const minutes = Math.round(whole / 60);
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}
