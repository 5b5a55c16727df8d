import { z } from 'zod';
import { ApiError } from './api-error.ts';

/** Default and largest page sizes of every list endpoint. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * Cursors are keyset positions ("after this key"), so pages stay stable while
 * rows are inserted. They are opaque to clients: base64url JSON tagged with
 * the list they belong to, so a cursor of one list is refused by another.
 */
export function encodeCursor(list: string, after: string | number): string {
  return Buffer.from(JSON.stringify({ l: list, a: after })).toString('base64url');
}

const cursorShape = z.object({ l: z.string(), a: z.union([z.string(), z.number()]) });

/** The key a cursor points after, or null when there is none; `400 invalid_request` when it is not one of this list's. */
export function decodeCursor(list: string, cursor: string | undefined): string | number | null {
  if (cursor === undefined || cursor === '') return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const parsed = cursorShape.safeParse(decoded);
  if (!parsed.success || parsed.data.l !== list) {
    throw new ApiError(
      'invalid_request',
      'cursor: not a cursor of this list; pass the nextCursor of the previous page unchanged.',
    );
  }
  return parsed.data.a;
}

/** The `?limit=` of a list request, 1..200, default 50. */
export function pageSize(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new ApiError('invalid_request', `limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return n;
}

/** Turns `limit + 1` fetched rows into a page: the extra row only says there is a next page. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  list: string,
  keyOf: (row: Row) => string | number,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(toItem),
    nextCursor: hasMore && last !== undefined ? encodeCursor(list, keyOf(last)) : null,
  };
}
