/**
 * The error table of PressDrop's own boundaries: every machine code the
 * engine, the app's main process and the renderer raise beside the API's
 * (api-errors.ts), which boundary raises it, and a default message. They
 * cross IPC as `{code, message}` like the API's; the renderer words each one
 * (error-words.ts). `app-errors.test.ts` keeps the codes unique across the
 * tables and checks that each is raised somewhere in its boundary's folder.
 */
import { isApiErrorCode, renderJobErrors, type ApiErrorCode, type RenderJobErrorCode } from './api-errors.ts';
import { isCloudflareErrorCode, type CloudflareErrorCode } from './cloudflare-errors.ts';
import { isSlidelessErrorCode, type SlidelessErrorCode } from './slideless-errors.ts';

/** Who raises a code: the upload engine (src-core), the app's main process (src-main), or the renderer itself. */
export type ErrorBoundary = 'engine' | 'app' | 'renderer';

/** Each code PressDrop raises: the boundary that raises it, and a default message (AppError's when it is given none). */
export const appErrors = {
  // The engine's: why a deploy stopped short (DeployFailure), beside the API's codes.
  scan_problems: { boundary: 'engine', message: 'Some files cannot be deployed as they are.' },
  empty_folder: { boundary: 'engine', message: 'The folder has no files to deploy.' },
  unreadable_files: { boundary: 'engine', message: 'Some files cannot be read.' },
  file_changed: { boundary: 'engine', message: 'A file kept changing while it was read.' },
  state_unwritable: {
    boundary: 'engine',
    message: 'PressDrop could not write its state files (the deploy journal, the hash cache).',
  },
  cancelled: { boundary: 'engine', message: 'The deploy was cancelled.' },
  job_unavailable: {
    boundary: 'engine',
    message: 'The deploy job is unknown, has ended, or is being deployed by another process.',
  },
  // The engine's protocol client: a request that got no usable answer (ServiceError).
  network_error: { boundary: 'engine', message: 'The connection to the server failed.' },
  stalled: { boundary: 'engine', message: 'No bytes moved for too long, so the request was abandoned.' },
  aborted: { boundary: 'engine', message: 'The request was cancelled.' },
  bad_response: { boundary: 'engine', message: "The server's answer is not what its API promises." },
  // The engine's scanner: the folder itself cannot be read (ScanError).
  folder_not_found: { boundary: 'engine', message: 'The folder does not exist.' },
  not_a_directory: { boundary: 'engine', message: 'The path names a file, not a folder.' },
  unreadable_root: { boundary: 'engine', message: 'The folder cannot be read.' },
  unreadable_pressignore: { boundary: 'engine', message: "The folder's .pressignore cannot be read." },
  // Main's: its handlers (AppError) and the IPC layer in front of them.
  invalid_folder: { boundary: 'app', message: 'That is not a folder PressDrop can deploy.' },
  folder_not_granted: {
    boundary: 'app',
    message:
      'PressDrop deploys only a folder you dropped on its window or chose with “Choose folder…”; drop or choose it again.',
  },
  drop_nothing: { boundary: 'app', message: 'The dropped item has no place on disk.' },
  press_config_invalid: { boundary: 'app', message: "The folder's press.json cannot be used." },
  slideless_json_invalid: { boundary: 'app', message: "The folder's slideless.json cannot be used." },
  target_unsupported: {
    boundary: 'app',
    message: 'That target’s service does not offer this in PressDrop: History, aliases and PDFs are Press Cloud’s.',
  },
  insecure_http: { boundary: 'app', message: 'Plain http:// to another machine would send the API key unencrypted.' },
  target_not_found: { boundary: 'app', message: 'That target is no longer in your list of targets.' },
  missing_api_key: {
    boundary: 'app',
    message:
      'The API key of this target could not be read from the system keychain; remove the target and add it again.',
  },
  key_storage_unavailable: {
    boundary: 'app',
    message: 'This system offers no way to store the API key encrypted, so PressDrop will not keep it.',
  },
  key_storage_insecure: {
    boundary: 'app',
    message:
      'This system has no keychain PressDrop can use: the key would be stored obfuscated, not encrypted. Confirm to store it anyway.',
  },
  run_not_found: { boundary: 'app', message: 'That deploy has already ended.' },
  job_not_found: { boundary: 'app', message: 'That deploy is no longer waiting to be resumed.' },
  alias_moved: { boundary: 'app', message: 'The alias moved since it was looked at; nothing was changed.' },
  open_failed: { boundary: 'app', message: 'No app opened the file.' },
  save_path_invalid: { boundary: 'app', message: 'That is not a place a file can be saved.' },
  save_failed: { boundary: 'app', message: 'The file could not be written there.' },
  invalid_payload: { boundary: 'app', message: 'The request carries a payload its handler does not accept.' },
  forbidden_sender: { boundary: 'app', message: 'This request came from a page that is not PressDrop.' },
  // The renderer's: a drop it refuses before asking main.
  drop_several: { boundary: 'renderer', message: 'Several items were dropped; drop one folder.' },
} as const satisfies Record<string, { boundary: ErrorBoundary; message: string }>;

/** A code PressDrop itself raises, beside the API's. */
export type PressdropErrorCode = keyof typeof appErrors;

/** The codes of `boundary`. */
type CodesRaisedBy<Boundary extends ErrorBoundary> = {
  [Code in PressdropErrorCode]: (typeof appErrors)[Code]['boundary'] extends Boundary ? Code : never;
}[PressdropErrorCode];

/** A code the upload engine raises beside the API's (DeployFailure, ServiceError, ScanError). */
export type EngineErrorCode = CodesRaisedBy<'engine'>;

/** A code main raises (AppError, the IPC layer). */
export type AppErrorCode = CodesRaisedBy<'app'>;

/** A code the renderer raises itself. */
export type RendererErrorCode = CodesRaisedBy<'renderer'>;

/**
 * Some codes of `Of`, spelled out for one raiser (`CodesOf<EngineErrorCode, 'stalled' | …>`): a code not in
 * `Of` is a type error, where `Extract` would drop it without a word.
 */
export type CodesOf<Of extends string, Codes extends Of> = Codes;

/** A code a peer service's adapter raises (Slideless's own, Cloudflare's as PressDrop names them). */
export type PeerServiceErrorCode = SlidelessErrorCode | CloudflareErrorCode;

/** Every code PressDrop has words for: the API's, a render job's, the peer services', and its own. */
export type ErrorCode = ApiErrorCode | RenderJobErrorCode | PeerServiceErrorCode | PressdropErrorCode;

/**
 * A code from outside these tables, passed on as it came: one a Press Cloud
 * answered that api-errors.ts does not list (a newer server's; the contract's
 * error format is open), or a system error's (EACCES) that main passed on.
 * It is shown by its message alone. Branded, so that only
 * `unlistedErrorCode` makes one: a string literal is never one, and a typo
 * where a table code is expected stays a type error.
 */
export type UnlistedErrorCode = string & { readonly __brand: 'UnlistedErrorCode' };

/** `code`, as it came from outside PressDrop's tables; for the places that pass foreign codes on (the protocol client, main's IPC). */
export function unlistedErrorCode(code: string): UnlistedErrorCode {
  return code as UnlistedErrorCode;
}

/** True when `code` is in one of the tables (the API's, a render job's, the peer services', PressDrop's own). */
export function isErrorCode(code: string): code is ErrorCode {
  return (
    isApiErrorCode(code) ||
    Object.hasOwn(renderJobErrors, code) ||
    isSlidelessErrorCode(code) ||
    isCloudflareErrorCode(code) ||
    Object.hasOwn(appErrors, code)
  );
}
