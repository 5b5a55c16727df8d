import { useEffect, useRef, useState, type FormEvent } from 'react';
import { API_KEY_PATTERN } from '../../../src-shared/api-key.ts';
import { plainHttpProblem } from '../../../src-shared/api-url.ts';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { useModalDialog } from '../hooks/use-modal-dialog.ts';
import { addTarget, useAppStore } from '../store/app-store.ts';
import { ErrorNotice } from './error-notice.tsx';

/** The host a plain-http URL would send the key to in clear text; null for https:, loopback, or no URL yet. */
function exposedHost(apiUrl: string): string | null {
  try {
    const url = new URL(apiUrl.trim());
    return plainHttpProblem(url.protocol, url.hostname) ? url.host : null;
  } catch {
    return null;
  }
}

/**
 * Validates like main's schema and main's checks, so the form says what is wrong before anything is sent.
 * `plainHttpRefused`: the URL is plain http:// to another machine (exposedHost), and the user has not allowed it.
 */
function problems(
  name: string,
  apiUrl: string,
  apiKey: string,
  plainHttpRefused: boolean,
): { apiUrl?: string; apiKey?: string; name?: string } {
  const found: { apiUrl?: string; apiKey?: string; name?: string } = {};
  if (name.length > 100) found.name = 'Use at most 100 characters.';
  try {
    const url = new URL(apiUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') found.apiUrl = 'Use an http:// or https:// address.';
    else if (plainHttpRefused) found.apiUrl = 'Use https://, or allow plain HTTP below.';
  } catch {
    found.apiUrl = 'Enter the Press Cloud’s address, e.g. https://press.example.com.';
  }
  if (!API_KEY_PATTERN.test(apiKey))
    found.apiKey = 'An API key starts with pcak_ followed by at least 8 letters, digits, - or _.';
  return found;
}

/** Why a key would not be safe here, said before anything is typed. */
function NoKeychainWarning() {
  return (
    <div className="notice notice-warning">
      <p className="notice-sentence">This system has no keychain PressDrop can use.</p>
      <p>
        The API key would be stored obfuscated, not encrypted: anyone who can read your files (another program you run,
        a backup, a lost disk) could recover it.
      </p>
    </div>
  );
}

/** Plain http:// to another machine: what it risks, and the deliberate way to allow it. */
function PlainHttpWarning({
  host,
  allowed,
  onAllow,
}: {
  host: string;
  allowed: boolean;
  onAllow: (allowed: boolean) => void;
}) {
  return (
    <div className="notice notice-warning">
      <p className="notice-sentence">This address is not encrypted.</p>
      <p>
        Over http:// the API key crosses the network to {host} in clear text: anyone on the way (the Wi-Fi, a proxy) can
        read it and use it.
      </p>
      <label className="checkbox">
        <input type="checkbox" checked={allowed} onChange={(event) => onAllow(event.target.checked)} />
        <span>Allow plain HTTP to {host} anyway</span>
      </label>
    </div>
  );
}

/** Where a key cannot be kept at all there is nothing to fill in: the dialog says why, and how the user can change it. */
function NoKeyStorage({ onClose }: { onClose: () => void }) {
  return (
    <div className="dialog-body">
      <h2 id="add-target-title">Add a Press Cloud</h2>
      <div className="notice notice-warning">
        <p className="notice-sentence">PressDrop cannot add a remote Press Cloud on this system.</p>
        <p>
          It offers no safe place to keep an API key, and PressDrop does not store keys unprotected. Set up and unlock
          your system keychain, then restart PressDrop.
        </p>
        <p>Deploys to this computer’s Press Cloud keep working.</p>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

/**
 * "Add Press Cloud…": name, URL and API key. The key goes to main once
 * (main checks it against the server, then keeps it in the OS keychain) and
 * is never shown again; the field is cleared whatever the answer. Where the
 * system has no keychain (basic_text) the dialog says so before anything is
 * typed, and adds only after the user chooses "Store it anyway"; where no
 * key can be kept it offers no form at all.
 */
export function AddTargetDialog({ onClose }: { onClose: () => void }) {
  const keyStorage = useAppStore((state) => state.keyStorage);
  const dialog = useModalDialog();
  const back = useRef<HTMLButtonElement>(null);
  const add = useRef<HTMLButtonElement>(null);
  // Set when the buttons the focus was on go away, so it lands on Add again rather than on the page.
  const refocusAdd = useRef(false);
  const [name, setName] = useState('');
  const [apiUrl, setApiUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  // basic_text only: 'asking' while the consent question replaces the buttons, 'given' once the user said yes.
  const [consent, setConsent] = useState<'none' | 'asking' | 'given'>('none');
  // The host plain HTTP was allowed for: consent to one host is not consent to the next one typed.
  const [insecureHost, setInsecureHost] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const exposed = exposedHost(apiUrl);
  const insecureAllowed = exposed !== null && insecureHost === exposed;
  const found = problems(name, apiUrl, apiKey, exposed !== null && !insecureAllowed);
  const obfuscated = keyStorage === 'basic_text';

  // The question is where the user's attention must go; the safe answer has the focus, so a second Enter does not consent.
  useEffect(() => {
    if (consent === 'asking') back.current?.focus();
    else if (refocusAdd.current && !sending) {
      refocusAdd.current = false;
      add.current?.focus();
    }
  }, [consent, sending]);

  const send = async (allowBasicText: boolean) => {
    setSending(true);
    setError(null);
    const refused = await addTarget({
      name: name.trim(),
      apiUrl: apiUrl.trim(),
      apiKey,
      allowBasicText,
      allowInsecureHttp: insecureAllowed,
    });
    setSending(false);
    // The key never stays in the form; the empty field is not the user's mistake, so it is not flagged.
    setApiKey('');
    setTouched(false);
    if (refused) setError(refused);
    else onClose();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (Object.keys(found).length > 0) {
      setConsent((current) => (current === 'asking' ? 'none' : current));
      return;
    }
    if (obfuscated && consent !== 'given') setConsent('asking');
    else void send(obfuscated);
  };

  const storeAnyway = () => {
    refocusAdd.current = true;
    setConsent('given');
    void send(true);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="add-target-title" onCancel={onClose}>
      {keyStorage === 'unavailable' ? (
        <NoKeyStorage onClose={onClose} />
      ) : (
        <form onSubmit={submit} noValidate>
          <h2 id="add-target-title">Add a Press Cloud</h2>
          {obfuscated && <NoKeychainWarning />}
          <label className="field">
            <span>Name</span>
            <input
              value={name}
              onChange={(event) => setName(event.target.value)}
              placeholder="Team Press Cloud"
              autoComplete="off"
            />
            {touched && found.name && <span className="field-error">{found.name}</span>}
          </label>
          <label className="field">
            <span>URL</span>
            <input
              value={apiUrl}
              onChange={(event) => setApiUrl(event.target.value)}
              placeholder="https://press.example.com"
              inputMode="url"
              autoComplete="off"
              aria-invalid={touched && !!found.apiUrl}
              required
            />
            {touched && found.apiUrl && <span className="field-error">{found.apiUrl}</span>}
          </label>
          {exposed && (
            <PlainHttpWarning
              host={exposed}
              allowed={insecureAllowed}
              onAllow={(allowed) => setInsecureHost(allowed ? exposed : null)}
            />
          )}
          <label className="field">
            <span>API key</span>
            <input
              type="password"
              value={apiKey}
              onChange={(event) => setApiKey(event.target.value)}
              placeholder="pcak_…"
              autoComplete="off"
              spellCheck={false}
              aria-invalid={touched && !!found.apiKey}
              required
            />
            {touched && found.apiKey && <span className="field-error">{found.apiKey}</span>}
            <span className="field-hint">
              {obfuscated
                ? 'Stored obfuscated on this computer, not encrypted; PressDrop never shows it again.'
                : 'Kept in your system keychain; PressDrop never shows it again.'}
            </span>
          </label>
          {error && <ErrorNotice error={error} />}
          {consent === 'asking' ? (
            <div
              className="dialog-confirm"
              role="group"
              aria-labelledby="store-anyway-question"
              aria-describedby="store-anyway-risk"
            >
              {/* It stands alone: at 200% zoom the warning above has scrolled away. */}
              <div>
                <p id="store-anyway-question" className="dialog-confirm-question">
                  Store this API key obfuscated, not encrypted?
                </p>
                <p id="store-anyway-risk" className="muted">
                  Anyone who can read your files could recover it.
                </p>
              </div>
              <div className="dialog-actions">
                <button
                  ref={back}
                  type="button"
                  className="button-quiet"
                  onClick={() => {
                    refocusAdd.current = true;
                    setConsent('none');
                  }}
                >
                  Back
                </button>
                <button type="button" className="button-primary" onClick={storeAnyway}>
                  Store it anyway
                </button>
              </div>
            </div>
          ) : (
            <div className="dialog-actions">
              <button type="button" className="button-quiet" onClick={onClose}>
                Cancel
              </button>
              <button ref={add} type="submit" className="button-primary" disabled={sending}>
                {sending ? 'Checking…' : 'Add'}
              </button>
            </div>
          )}
        </form>
      )}
    </dialog>
  );
}
