/** Default and largest page sizes of every list endpoint. */
export declare const DEFAULT_PAGE_SIZE = 50;
export declare const MAX_PAGE_SIZE = 200;
/**
 * Cursors are keyset positions ("after this key"), so pages stay stable while
 * rows are inserted. They are opaque to clients: base64url JSON tagged with
 * the list they belong to, so a cursor of one list is refused by another.
 */
export declare function encodeCursor(list: string, after: string | number): string;
/** The key a cursor points after, or null when there is none; `400 invalid_request` when it is not one of this list's. */
export declare function decodeCursor(list: string, cursor: string | undefined): string | number | null;
/** The `?limit=` of a list request, 1..200, default 50. */
export declare function pageSize(limit: string | undefined): number;
/** Turns `limit + 1` fetched rows into a page: the extra row only says there is a next page. */
export declare function toPage<Row, Item>(rows: Row[], limit: number, list: string, keyOf: (row: Row) => string | number, toItem: (row: Row) => Item): {
    items: Item[];
    nextCursor: string | null;
};
