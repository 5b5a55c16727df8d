/**
 * One table from error codes to sentences a user can act on: every code of
 * src-shared's tables (the API's and a render job's in api-errors.ts; the
 * engine's, main's and the renderer's own in app-errors.ts). The code's
 * message (often precise: which file, which limit) is shown under the
 * sentence as the detail; a code from outside the tables shows its message.
 */
import { isErrorCode, type ErrorCode } from '../../src-shared/app-errors.ts';
import { cloudflareErrors } from '../../src-shared/cloudflare-errors.ts';
import { slidelessErrors } from '../../src-shared/slideless-errors.ts';

const CHECK_SERVER = 'If it keeps happening, the Press Cloud may be down; try again in a few minutes.';

/** The sentence for each code; `Record<ErrorCode, …>`, so a code without words is a type error. */
export const errorWords: Record<ErrorCode, string> = {
  // The peer services' codes carry their sentence in their table.
  ...wordsOf(slidelessErrors),
  ...wordsOf(cloudflareErrors),
  // The API's codes.
  invalid_request:
    'Press Cloud refused the request as malformed. Update PressDrop, or report this if it keeps happening.',
  invalid_path:
    'A file name in the folder is not allowed on Press Cloud. Rename it, or leave it out with .pressignore.',
  upload_session_too_large:
    'The folder is larger than this Press Cloud accepts in one version. Leave large files out with .pressignore.',
  upload_blob_too_large:
    'A file is larger than this Press Cloud accepts. Leave it out with .pressignore, or make it smaller.',
  blob_hash_mismatch: 'A file changed while it was uploading. Wait until nothing writes to the folder, then try again.',
  blob_size_mismatch:
    'A file changed size while it was uploading. Wait until nothing writes to the folder, then try again.',
  too_many_files:
    'The folder has more files than this Press Cloud accepts in one version. Leave some out with .pressignore.',
  deploy_commit_policy_limit_exceeded:
    'The version is over this Press Cloud’s file-count or size limit. Leave files out with .pressignore.',
  render_route_not_found: 'The page to show first is not in the folder. Check that the folder holds an index.html.',
  unauthorized:
    'Press Cloud refused the API key. Check that the key (pcak_…) is right and still valid; a target whose key changed must be removed and added again.',
  upload_token_invalid:
    'The upload was refused: its session is no longer valid. Try again; PressDrop starts a new session.',
  misdirected_request:
    'The server refused the address it was reached by. Use the URL it prints when it starts (127.0.0.1 or localhost with its port).',
  not_found: 'This Press Cloud does not offer that operation. Check the target’s URL, or update it.',
  deploy_not_found: 'That deploy no longer exists on this Press Cloud. Choose another deploy, or create a new one.',
  deploy_version_not_found: 'That version no longer exists on this Press Cloud. Go back to the list and refresh it.',
  upload_session_not_found: 'The upload session is gone from the server. Try again; PressDrop starts a new one.',
  blob_not_found: 'A file’s content is not stored on the server. Deploy the folder again.',
  alias_not_found: 'That alias no longer exists on this deploy.',
  render_job_not_found: 'That render job no longer exists.',
  pdf_not_found: 'That PDF no longer exists.',
  deploy_slug_conflict:
    'A deploy with that slug already exists. Pick it under “An existing deploy”, or choose another slug.',
  blob_not_in_session: 'The server did not expect one of the files. Try again; PressDrop plans the upload afresh.',
  upload_session_committed: 'This upload was already committed as a version. Look for it in History.',
  blobs_missing: 'Some files did not reach the server. Try again; only the missing ones are sent.',
  idempotency_key_conflict: 'The server saw this request before with different content. Try the deploy again.',
  range_not_satisfiable: 'The server could not send that part of the file. Download it again from the start.',
  upload_session_expired:
    'The upload took longer than the server keeps a session open. Try again; nothing stored is sent twice.',
  rate_limited: `The server asked PressDrop to slow down. Try again in a minute. ${CHECK_SERVER}`,
  internal_error: 'Something failed unexpectedly. Try again; if it keeps happening, restart PressDrop.',
  not_implemented: 'This Press Cloud does not support that operation.',
  service_unavailable: `The Press Cloud is temporarily unavailable. Try again shortly; the deploy resumes where it stopped. ${CHECK_SERVER}`,
  // The engine's.
  scan_problems:
    'Nothing was uploaded: some files cannot be deployed as they are. Fix or rename them, or leave them out with .pressignore.',
  empty_folder:
    'That folder has nothing to deploy. Choose the folder that holds your site (.pressignore may be leaving everything out).',
  unreadable_files: 'Nothing was uploaded: some files cannot be read. Check their permissions, then try again.',
  file_changed:
    'Files kept changing while PressDrop read them. Wait until your build has finished writing, then try again.',
  state_unwritable:
    'PressDrop could not save its own records of the deploy: the disk is full or refuses writes. Free some space, then try again to continue where it stopped.',
  cancelled: 'The deploy was stopped. Nothing stored is lost: try again to continue where it stopped.',
  job_unavailable:
    'That deploy cannot be resumed now: it has ended, or another PressDrop is deploying it. Wait for that one, or deploy the folder again.',
  network_error: 'PressDrop could not reach the server. Check your connection; the deploy resumes where it stopped.',
  stalled: 'The connection stalled. Check your connection, then try again; the deploy resumes where it stopped.',
  aborted: 'The request was cancelled before it finished. Try again.',
  bad_response: `The server answered in a way PressDrop does not understand. Check that the URL points to a Press Cloud. ${CHECK_SERVER}`,
  // The engine's scanner.
  folder_not_found: 'That folder is not there any more. Check that it was not moved or renamed, then choose it again.',
  not_a_directory: 'That is a file, not a folder. Choose the folder that holds your site.',
  unreadable_root: 'PressDrop cannot open that folder. Check that it exists and that you may read it.',
  unreadable_pressignore: 'The folder’s .pressignore cannot be read. Check its permissions.',
  // A render job's.
  render_timeout:
    'The page did not get ready in time to be printed. Make it load faster, or allow it longer with render.renderTimeoutMs in press.json, deploy, and render again.',
  render_page_error:
    'The page’s own script failed while it was being printed. Fix the error below in the page, deploy again, and render the new version.',
  render_crashed:
    'The browser that prints PDFs stopped unexpectedly. Render again; if it keeps happening, restart PressDrop.',
  // Main's.
  press_config_invalid:
    'The folder’s press.json cannot be used. Fix what is said below, or remove the file to deploy without it.',
  alias_moved: 'That alias changed since you looked, so nothing was moved. Check where it points now, then try again.',
  open_failed: 'No app on this computer opened the PDF. Install a PDF viewer, or use Save PDF… instead.',
  save_path_invalid: 'A PDF cannot be saved there. Choose a file name inside a folder.',
  save_failed:
    'The PDF could not be written there. Check that you may write to that folder and that the disk has room, or choose another place.',
  invalid_folder: 'That is not a folder PressDrop can deploy. Choose the folder that holds your site.',
  folder_not_granted:
    'PressDrop deploys only folders you drop on its window or choose. Drop or choose the folder again.',
  insecure_http:
    'That address is plain http:// on another machine: the API key would cross the network unencrypted. Use https://, or tick “Allow plain HTTP” if you accept that.',
  target_not_found: 'That target is no longer in your list. Add it again (Add target…) to continue.',
  target_unsupported:
    'Slideless and Cloudflare targets offer deploys only in PressDrop: History, aliases and PDFs need a Press Cloud target.',
  slideless_json_invalid:
    'The folder’s slideless.json cannot be used. Fix what is said below, or remove the file to deploy as a new presentation.',
  missing_api_key: 'PressDrop could not read the API key from the system keychain. Remove the target and add it again.',
  run_not_found: 'That deploy has already ended.',
  job_not_found: 'That deploy is no longer waiting to be resumed. Start it again by choosing its folder.',
  key_storage_unavailable:
    'This system offers no safe place for the API key, so PressDrop cannot keep it. Only the local Press Cloud is available.',
  key_storage_insecure:
    'This system has no keychain PressDrop can use, so the key would be stored obfuscated, not encrypted. Choose “Store it anyway” to accept that, or Cancel.',
  invalid_payload:
    'PressDrop sent a request its own main process refused. Restart PressDrop; report this if it keeps happening.',
  forbidden_sender: 'The request came from a page PressDrop does not trust, so it was refused.',
  drop_nothing: 'That was not a folder from your disk. Drop a folder from your file manager, or use Choose folder….',
  // The renderer's.
  drop_several: 'Drop one folder: the one that holds your site. To deploy several, deploy them one at a time.',
};

/** An error as a screen shows it: what to do, and what exactly happened. */
export interface ErrorWording {
  sentence: string;
  /** The precise message, when it adds to the sentence. */
  detail: string | null;
}

/** The words for an error's code, keeping its own message as the detail. */
export function wordError(error: { code: string; message: string }): ErrorWording {
  const sentence = isErrorCode(error.code) ? errorWords[error.code] : null;
  if (!sentence) return { sentence: error.message || 'Something went wrong.', detail: null };
  const detail = error.message && error.message !== sentence ? plainMessage(error.message) : null;
  return { sentence, detail };
}

/** The server's own sentence, without the request line before it ("POST upload session failed: HTTP 409 code: …"). */
function plainMessage(message: string): string {
  return message.replace(/^[^:]*? failed: HTTP \d{3} [a-z_]+: /, '');
}

function wordsOf<Code extends string>(table: Record<Code, { message: string }>): Record<Code, string> {
  return Object.fromEntries(
    Object.entries<{ message: string }>(table).map(([code, { message }]) => [code, message]),
  ) as Record<Code, string>;
}
