/**
 * Numbers as people read them: times, counts, folder names and slugs. Sizes,
 * speeds and durations are the CLI's too (src-shared/units.ts: binary units,
 * KiB/MiB/GiB), re-exported here so components import every format from one place.
 */

export { formatBytes, formatDuration, formatSpeed } from '../../src-shared/units.ts';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Epoch milliseconds as a local date and time. */
export function formatTime(epochMs: number): string {
  return dateTime.format(new Date(epochMs));
}

/** `1 file`, `3 files`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** The last segment of a path, for headings (`/home/me/site` → `site`). */
export function folderName(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return parts.at(-1) ?? path;
}

/** A folder name as a deploy slug suggestion: lowercase letters, digits and hyphens. */
export function suggestSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}
