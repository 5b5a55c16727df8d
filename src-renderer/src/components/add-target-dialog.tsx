import { useEffect, useRef, useState, type FormEvent } from 'react';
import { plainHttpProblem } from '../../../src-shared/api-url.ts';
import type { AddTargetPayload, IpcError, TargetKind } from '../../../src-shared/ipc-contract.ts';
import { useModalDialog } from '../hooks/use-modal-dialog.ts';
import { addTarget, useAppStore } from '../store/app-store.ts';
import { KIND_SHORT_NAMES } from '../target-words.ts';
import { DEFAULT_API_URLS, TargetFields, targetFormProblems, type TargetForm } from './add-target-fields.tsx';
import { ErrorNotice } from './error-notice.tsx';

const KINDS: readonly TargetKind[] = ['press-cloud', 'slideless', 'cloudflare'];

/** The host a plain-http URL would send the key to in clear text; null for https:, loopback, or no URL yet. */
function exposedHost(apiUrl: string): string | null {
  try {
    const url = new URL(apiUrl.trim());
    return plainHttpProblem(url.protocol, url.hostname) ? url.host : null;
  } catch {
    return null;
  }
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
      <h2 id="add-target-title">Add a target</h2>
      <div className="notice notice-warning">
        <p className="notice-sentence">PressDrop cannot add a target on this system.</p>
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

/** The service each kind's choice names, with what it is for. */
function KindChoice({ kind, onKind }: { kind: TargetKind; onKind: (kind: TargetKind) => void }) {
  return (
    <fieldset className="segmented">
      <legend>Service</legend>
      {KINDS.map((candidate) => (
        <label key={candidate}>
          <input
            type="radio"
            name="target-kind"
            value={candidate}
            checked={kind === candidate}
            onChange={() => onKind(candidate)}
          />
          {KIND_SHORT_NAMES[candidate]}
        </label>
      ))}
    </fieldset>
  );
}

/** The payload main takes for the form's kind. */
function payloadOf(form: TargetForm, allowBasicText: boolean, allowInsecureHttp: boolean): AddTargetPayload {
  const common = {
    name: form.name.trim(),
    apiUrl: form.apiUrl.trim(),
    apiKey: form.apiKey,
    allowBasicText,
    allowInsecureHttp,
  };
  return form.kind === 'cloudflare'
    ? { kind: 'cloudflare', ...common, accountId: form.accountId }
    : { kind: form.kind, ...common };
}

/**
 * "Add target…": the service (Press Cloud, Slideless, Cloudflare Workers),
 * then its fields: name, API address (the service's own by default, which
 * a local peer replaces), key, and Cloudflare's account. The key goes to
 * main once (main proves it with one request to the service, then keeps it
 * in the OS keychain) and is never shown again; the field is cleared
 * whatever the answer. Where the system has no keychain (basic_text) the
 * dialog says so before anything is typed, and adds only after the user
 * chooses "Store it anyway"; where no key can be kept it offers no form.
 */
export function AddTargetDialog({ onClose }: { onClose: () => void }) {
  const keyStorage = useAppStore((state) => state.keyStorage);
  const dialog = useModalDialog();
  const back = useRef<HTMLButtonElement>(null);
  const add = useRef<HTMLButtonElement>(null);
  // Set when the buttons the focus was on go away, so it lands on Add again rather than on the page.
  const refocusAdd = useRef(false);
  const [form, setForm] = useState<TargetForm>({
    kind: 'press-cloud',
    name: '',
    apiUrl: '',
    apiKey: '',
    accountId: '',
  });
  // basic_text only: 'asking' while the consent question replaces the buttons, 'given' once the user said yes.
  const [consent, setConsent] = useState<'none' | 'asking' | 'given'>('none');
  // The host plain HTTP was allowed for: consent to one host is not consent to the next one typed.
  const [insecureHost, setInsecureHost] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const exposed = exposedHost(form.apiUrl);
  const insecureAllowed = exposed !== null && insecureHost === exposed;
  const found = targetFormProblems(form, exposed !== null && !insecureAllowed);
  const obfuscated = keyStorage === 'basic_text';

  // The question is where the user's attention must go; the safe answer has the focus, so a second Enter does not consent.
  useEffect(() => {
    if (consent === 'asking') back.current?.focus();
    else if (refocusAdd.current && !sending) {
      refocusAdd.current = false;
      add.current?.focus();
    }
  }, [consent, sending]);

  const change = (update: Partial<TargetForm>) => setForm((current) => ({ ...current, ...update }));
  const chooseKind = (kind: TargetKind) => {
    setForm((current) => ({
      ...current,
      kind,
      // Another service's address or key is never this one's: each kind starts from its own default.
      apiUrl:
        current.apiUrl.trim() === '' || current.apiUrl === DEFAULT_API_URLS[current.kind]
          ? DEFAULT_API_URLS[kind]
          : current.apiUrl,
      apiKey: '',
    }));
    setTouched(false);
    setError(null);
  };

  const send = async (allowBasicText: boolean) => {
    setSending(true);
    setError(null);
    const refused = await addTarget(payloadOf(form, allowBasicText, insecureAllowed));
    setSending(false);
    // The key never stays in the form; the empty field is not the user's mistake, so it is not flagged.
    change({ apiKey: '' });
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
          <h2 id="add-target-title">Add a target</h2>
          {obfuscated && <NoKeychainWarning />}
          <KindChoice kind={form.kind} onKind={chooseKind} />
          <TargetFields
            form={form}
            onChange={change}
            problems={found}
            showProblems={touched}
            obfuscated={obfuscated}
            urlWarning={
              exposed && (
                <PlainHttpWarning
                  host={exposed}
                  allowed={insecureAllowed}
                  onAllow={(allowed) => setInsecureHost(allowed ? exposed : null)}
                />
              )
            }
          />
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
