import { useRef, useState, type FormEvent } from 'react';
import {
  WORKER_NAME_PATTERN,
  type DeployChoice,
  type FolderDestination,
  type IpcError,
  type Target,
} from '../../../src-shared/ipc-contract.ts';
import { folderName, suggestSlug } from '../format.ts';
import { useFocusOnMount } from '../hooks/use-focus-on-mount.ts';
import { useIpcAnswer } from '../hooks/use-ipc-answer.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { folderStarted } from '../store/app-store.ts';
import { startDeploy, useRunStore, type RunDeployLabel } from '../store/run-store.ts';
import { KIND_NAMES } from '../target-words.ts';
import { ErrorNotice } from './error-notice.tsx';
import { FolderLine } from './folder-line.tsx';

/** Slideless's rule for a title (1–255 characters), said before anything is sent. */
const MAX_TITLE = 255;

/** What is wrong with a Worker name, in words; null when Cloudflare takes it. */
export function workerNameProblem(name: string): string | null {
  if (name === '') return 'Enter the Worker’s name: it becomes part of its workers.dev address.';
  if (name.length > 63) return 'Use at most 63 characters.';
  if (!WORKER_NAME_PATTERN.test(name))
    return 'Use lowercase letters, digits, “-” and “_”, starting with a letter, a digit or “_”.';
  return null;
}

/**
 * A folder is chosen for a Slideless or Cloudflare target. Slideless: the
 * presentation the folder's slideless.json names gets a new version (as
 * the Slideless CLI does), else a new presentation is made, titled after
 * the folder unless the user says otherwise. Cloudflare: the Worker whose
 * static assets the folder becomes, named by the folder's wrangler.json
 * when it has one, else after the folder; the user may change it.
 */
export function PeerDeployChooser({ folder, target }: { folder: string; target: Target }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const destination = useIpcAnswer(`${folder}:${target.id}`, () =>
    pressdrop['folder.destination']({ path: folder, targetId: target.id }),
  );
  return (
    <section className="card chooser" aria-labelledby="chooser-title">
      <FolderLine folder={folder} heading={heading} />
      {destination.error && (
        <ErrorNotice error={destination.error} action={{ label: 'Try again', run: destination.retry }} />
      )}
      {destination.value?.kind === 'slideless' && (
        <SlidelessForm folder={folder} target={target} destination={destination.value} onRead={destination.reload} />
      )}
      {destination.value?.kind === 'cloudflare' && (
        <CloudflareForm folder={folder} target={target} destination={destination.value} />
      )}
    </section>
  );
}

/** Starts the deploy; resolves with main's refusal, or null once it runs (the chooser then goes). */
async function start(target: Target, folder: string, deploy: DeployChoice, label: RunDeployLabel) {
  const refused = await startDeploy({ targetId: target.id, folder, deploy }, label);
  if (!refused) folderStarted(folder);
  return refused;
}

function SlidelessForm(props: {
  folder: string;
  target: Target;
  destination: Extract<FolderDestination, { kind: 'slideless' }>;
  onRead: () => void;
}) {
  const { folder, target, destination } = props;
  const starting = useRunStore((state) => state.action === 'starting');
  const [title, setTitle] = useState(folderName(folder));
  const [error, setError] = useState<IpcError | null>(null);
  const update = destination.presentationId;
  const titleProblem =
    title.trim() === ''
      ? 'Enter a title, as people will see it.'
      : title.trim().length > MAX_TITLE
        ? `Use at most ${MAX_TITLE} characters.`
        : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (destination.problem || (!update && titleProblem)) return;
    setError(null);
    const choice: DeployChoice = { presentation: { title: update ? null : title.trim() } };
    setError(await start(target, folder, choice, { name: update ?? title.trim(), slug: null, deployId: update }));
  };

  return (
    <form className="peer-destination" onSubmit={(event) => void submit(event)} noValidate>
      {destination.problem ? (
        <ErrorNotice
          error={{ code: 'slideless_json_invalid', message: destination.problem }}
          action={{ label: 'Read slideless.json again', run: props.onRead }}
        />
      ) : update ? (
        <p data-testid="peer-destination">
          A new version of the presentation <code>{update}</code> on {target.name}, which this folder’s{' '}
          <code>slideless.json</code> names (as <code>slideless push</code> would). Its title stays as it is.
        </p>
      ) : (
        <>
          <p data-testid="peer-destination">
            A new presentation on {target.name}. PressDrop then writes its id to <code>slideless.json</code> in the
            folder, so the next deploy updates it.
          </p>
          <label className="field">
            <span>Title</span>
            <input
              value={title}
              onChange={(event) => setTitle(event.target.value)}
              aria-invalid={!!titleProblem}
              autoComplete="off"
            />
            {titleProblem && <span className="field-error">{titleProblem}</span>}
          </label>
        </>
      )}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={starting || !!destination.problem}>
          {starting ? 'Starting…' : update ? 'Deploy a new version' : 'Create presentation and deploy'}
        </button>
      </div>
    </form>
  );
}

function CloudflareForm(props: {
  folder: string;
  target: Target;
  destination: Extract<FolderDestination, { kind: 'cloudflare' }>;
}) {
  const { folder, target, destination } = props;
  const starting = useRunStore((state) => state.action === 'starting');
  const [scriptName, setScriptName] = useState(
    () => destination.scriptName ?? (suggestSlug(folderName(folder)) || 'site'),
  );
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const problem = workerNameProblem(scriptName);
  const shownProblem = problem && (touched || scriptName !== '') ? problem : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (problem) return;
    setError(null);
    setError(await start(target, folder, { worker: { scriptName } }, { name: scriptName, slug: null, deployId: null }));
  };

  return (
    <form className="peer-destination" onSubmit={(event) => void submit(event)} noValidate>
      <p data-testid="peer-destination">
        An assets-only Worker of account <code>{target.accountId}</code> on {target.name}: the folder becomes its static
        assets, and the Worker’s new version is deployed.
      </p>
      <label className="field">
        <span>Worker name</span>
        <input
          value={scriptName}
          onChange={(event) => setScriptName(event.target.value)}
          aria-invalid={!!shownProblem}
          aria-describedby="worker-help"
          autoComplete="off"
          spellCheck={false}
        />
        {shownProblem ? (
          <span className="field-error" id="worker-help" role="status">
            {shownProblem}
          </span>
        ) : (
          <span className="field-hint" id="worker-help">
            {destination.scriptName === scriptName
              ? 'From the folder’s wrangler.json.'
              : `A Worker of that name is created, or gets a new version if it exists.`}
          </span>
        )}
      </label>
      {destination.problem && (
        <p className="notice notice-warning">
          The folder’s wrangler.json could not be read ({destination.problem}); the Worker is the one named here.
        </p>
      )}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={starting}>
          {starting ? 'Starting…' : `Deploy to ${KIND_NAMES[target.kind]}`}
        </button>
      </div>
    </form>
  );
}
