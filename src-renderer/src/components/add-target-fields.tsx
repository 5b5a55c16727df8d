import type { ReactNode } from 'react';
import { API_KEY_PATTERN } from '../../../src-shared/api-key.ts';
import {
  CLOUDFLARE_ACCOUNT_PATTERN,
  CLOUDFLARE_TOKEN_PATTERN,
  SLIDELESS_KEY_PATTERN,
  type TargetKind,
} from '../../../src-shared/ipc-contract.ts';
import { CLOUDFLARE_API_URL, SLIDELESS_API_URL } from '../../../src-shared/service-urls.ts';
import { KIND_NAMES } from '../target-words.ts';

/** What the add-target form holds; `accountId` is Cloudflare's only. */
export interface TargetForm {
  kind: TargetKind;
  name: string;
  apiUrl: string;
  apiKey: string;
  accountId: string;
}

/** Each field's problem, in words. */
export type TargetFormProblems = Partial<Record<'name' | 'apiUrl' | 'apiKey' | 'accountId', string>>;

/** Where each service's API is unless the user says otherwise (a local peer, say); Press Cloud has no default. */
export const DEFAULT_API_URLS: Record<TargetKind, string> = {
  'press-cloud': '',
  slideless: SLIDELESS_API_URL,
  cloudflare: CLOUDFLARE_API_URL,
};

/** How each kind's fields read. */
const FIELD_WORDS: Record<
  TargetKind,
  { namePlaceholder: string; urlLabel: string; urlHint: string | null; keyLabel: string; keyPlaceholder: string }
> = {
  'press-cloud': {
    namePlaceholder: 'Team Press Cloud',
    urlLabel: 'URL',
    urlHint: null,
    keyLabel: 'API key',
    keyPlaceholder: 'pcak_…',
  },
  slideless: {
    namePlaceholder: 'Team decks',
    urlLabel: 'API URL',
    urlHint: 'Slideless’s own API unless you point it elsewhere (a local Slideless peer, say).',
    keyLabel: 'API key',
    keyPlaceholder: 'cko_… or cka_…',
  },
  cloudflare: {
    namePlaceholder: 'Team Workers',
    urlLabel: 'API base URL',
    urlHint: 'Cloudflare’s API unless you point it elsewhere, as CLOUDFLARE_API_BASE_URL does for wrangler.',
    keyLabel: 'API token',
    keyPlaceholder: 'A token with Workers Scripts: Edit',
  },
};

/** Validates like main's schema, so the form says what is wrong before anything is sent. */
export function targetFormProblems(form: TargetForm, plainHttpRefused: boolean): TargetFormProblems {
  const found: TargetFormProblems = {};
  if (form.name.length > 100) found.name = 'Use at most 100 characters.';
  try {
    const url = new URL(form.apiUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') found.apiUrl = 'Use an http:// or https:// address.';
    else if (plainHttpRefused) found.apiUrl = 'Use https://, or allow plain HTTP below.';
  } catch {
    found.apiUrl =
      form.kind === 'press-cloud'
        ? 'Enter the Press Cloud’s address, e.g. https://press.example.com.'
        : `Enter the address of ${KIND_NAMES[form.kind]}’s API, e.g. ${DEFAULT_API_URLS[form.kind]}.`;
  }
  if (form.kind === 'press-cloud' && !API_KEY_PATTERN.test(form.apiKey))
    found.apiKey = 'An API key starts with pcak_ followed by at least 8 letters, digits, - or _.';
  if (form.kind === 'slideless' && !SLIDELESS_KEY_PATTERN.test(form.apiKey))
    found.apiKey = 'A Slideless API key starts with cko_ or cka_, followed by letters, digits, - or _.';
  if (form.kind === 'cloudflare') {
    if (!CLOUDFLARE_TOKEN_PATTERN.test(form.apiKey))
      found.apiKey = 'Paste the whole API token: at least 8 characters, with no spaces.';
    if (!CLOUDFLARE_ACCOUNT_PATTERN.test(form.accountId))
      found.accountId = 'An account ID is 32 characters of 0–9 and a–f, as the dashboard shows it.';
  }
  return found;
}

/** The fields of one kind of target: name, API address, key (and Cloudflare's account), each with its problem. */
export function TargetFields(props: {
  form: TargetForm;
  onChange: (change: Partial<TargetForm>) => void;
  problems: TargetFormProblems;
  showProblems: boolean;
  obfuscated: boolean;
  /** The plain-HTTP warning, shown under the address. */
  urlWarning: ReactNode;
}) {
  const { form, onChange, problems, showProblems } = props;
  const words = FIELD_WORDS[form.kind];
  const shown = (field: keyof TargetFormProblems) => (showProblems ? problems[field] : undefined);
  return (
    <>
      <label className="field">
        <span>Name</span>
        <input
          value={form.name}
          onChange={(event) => onChange({ name: event.target.value })}
          placeholder={words.namePlaceholder}
          autoComplete="off"
        />
        {shown('name') && <span className="field-error">{shown('name')}</span>}
      </label>
      <label className="field">
        <span>{words.urlLabel}</span>
        <input
          value={form.apiUrl}
          onChange={(event) => onChange({ apiUrl: event.target.value })}
          placeholder={DEFAULT_API_URLS[form.kind] || 'https://press.example.com'}
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={!!shown('apiUrl')}
          required
        />
        {shown('apiUrl') ? (
          <span className="field-error">{shown('apiUrl')}</span>
        ) : (
          words.urlHint && <span className="field-hint">{words.urlHint}</span>
        )}
      </label>
      {props.urlWarning}
      {form.kind === 'cloudflare' && (
        <label className="field">
          <span>Account ID</span>
          <input
            value={form.accountId}
            onChange={(event) => onChange({ accountId: event.target.value.trim() })}
            placeholder="32 hexadecimal characters"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={!!shown('accountId')}
            required
          />
          {shown('accountId') ? (
            <span className="field-error">{shown('accountId')}</span>
          ) : (
            <span className="field-hint">
              On the dashboard’s Workers page. You name the Worker when you deploy (from the folder’s wrangler.json when
              it has one).
            </span>
          )}
        </label>
      )}
      <label className="field">
        <span>{words.keyLabel}</span>
        <input
          type="password"
          value={form.apiKey}
          onChange={(event) => onChange({ apiKey: event.target.value })}
          placeholder={words.keyPlaceholder}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={!!shown('apiKey')}
          required
        />
        {shown('apiKey') && <span className="field-error">{shown('apiKey')}</span>}
        <span className="field-hint">
          {props.obfuscated
            ? 'Stored obfuscated on this computer, not encrypted; PressDrop never shows it again.'
            : 'Kept in your system keychain; PressDrop never shows it again.'}
        </span>
      </label>
    </>
  );
}
