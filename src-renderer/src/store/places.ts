/**
 * Where the window is, as plain types: the store keeps them, and views and
 * pure helpers (tested in Node, without the bridge) name them without
 * importing the store.
 */

/** The window's two places. */
export type View = 'deploy' | 'history';

/** A deploy as the history view names it. */
export interface DeployRef {
  id: string;
  name: string;
  slug: string | null;
}

/** A version as a place names it: its id, and its number for headings. */
export interface VersionRef {
  id: string;
  versionNo: number;
}

/** Where the history view is: all deploys, one deploy's versions, one version, or one version compared with another. */
export interface HistoryPlace {
  deploy: DeployRef | null;
  versionId: string | null;
  /** For the breadcrumb, when known. */
  versionNo?: number;
  /** The other version of a comparison ("Compare with…"), shown instead of the version's detail. */
  compareWith?: VersionRef;
}
