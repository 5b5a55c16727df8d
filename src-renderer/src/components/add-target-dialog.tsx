import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { addTarget, useAppStore } from '../store/app-store.ts';
import { ErrorNotice } from './error-notice.tsx';

const API_KEY_PATTERN = /^pcak_[A-Za-z0-9_-]{8,200}$/;

/** Validates like main's schema, so the form says what is wrong before anything is sent. */
function problems(name: string, apiUrl: string, apiKey: string): { apiUrl?: string; apiKey?: string; name?: string } {
  const found: { apiUrl?: string; apiKey?: string; name?: string } = {};
  if (name.length > 100) found.name = 'Use at most 100 characters.';
  try {
    const url = new URL(apiUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') found.apiUrl = 'Use an http:// or https:// address.';
  } catch {
    found.apiUrl = 'Enter the Press Cloud’s address, e.g. https://press.example.com.';
  }
  if (!API_KEY_PATTERN.test(apiKey)) found.apiKey = 'An API key starts with pcak_ followed by at least 8 letters, digits, - or _.';
  return found;
}

/**
 * "Add Press Cloud…": name, URL and API key. The key goes to main once
 * (main checks it against the server, then keeps it in the OS keychain) and
 * is never shown again; the field is cleared whatever the answer.
 */
export function AddTargetDialog({ onClose }: { onClose: () => void }) {
  const keyStorage = useAppStore((state) => state.keyStorage);
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [apiUrl, setApiUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [allowBasicText, setAllowBasicText] = useState(false);
  const [touched, setTouched] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const found = problems(name, apiUrl, apiKey);
  const unavailable = keyStorage === 'unavailable';

  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (Object.keys(found).length > 0 || unavailable || (keyStorage === 'basic_text' && !allowBasicText)) return;
    setSending(true);
    setError(null);
    const refused = await addTarget({ name: name.trim(), apiUrl: apiUrl.trim(), apiKey, allowBasicText });
    setSending(false);
    // The key never stays in the form; the empty field is not the user's mistake, so it is not flagged.
    setApiKey('');
    setTouched(false);
    if (refused) setError(refused);
    else onClose();
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="add-target-title" onCancel={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id="add-target-title">Add a Press Cloud</h2>
        {unavailable && <p className="notice notice-warning">This system offers no safe place for an API key, so PressDrop cannot add a remote Press Cloud here. The local one keeps working.</p>}
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(event) => setName(event.target.value)} placeholder="Team Press Cloud" autoComplete="off" />
          {touched && found.name && <span className="field-error">{found.name}</span>}
        </label>
        <label className="field">
          <span>URL</span>
          <input value={apiUrl} onChange={(event) => setApiUrl(event.target.value)} placeholder="https://press.example.com" inputMode="url" autoComplete="off" aria-invalid={touched && !!found.apiUrl} required />
          {touched && found.apiUrl && <span className="field-error">{found.apiUrl}</span>}
        </label>
        <label className="field">
          <span>API key</span>
          <input type="password" value={apiKey} onChange={(event) => setApiKey(event.target.value)} placeholder="pcak_…" autoComplete="off" spellCheck={false} aria-invalid={touched && !!found.apiKey} required />
          {touched && found.apiKey && <span className="field-error">{found.apiKey}</span>}
          <span className="field-hint">Kept in your system keychain; PressDrop never shows it again.</span>
        </label>
        {keyStorage === 'basic_text' && (
          <div className="notice notice-warning">
            <p>This system has no keychain PressDrop can use: the key would be stored obfuscated, not encrypted, so anyone with access to your account could read it.</p>
            <label className="check">
              <input type="checkbox" checked={allowBasicText} onChange={(event) => setAllowBasicText(event.target.checked)} />
              Store the key anyway
            </label>
          </div>
        )}
        {error && <ErrorNotice error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={sending || unavailable || (keyStorage === 'basic_text' && !allowBasicText)}>
            {sending ? 'Checking…' : 'Add'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
