import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { Deploy } from '../../../src-shared/api-types.ts';
import type { DeployChoice, IpcError, Target } from '../../../src-shared/ipc-contract.ts';
import { folderName, suggestSlug } from '../format.ts';
import { useFocusOnMount } from '../hooks/use-focus-on-mount.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { folderStarted, useAppStore } from '../store/app-store.ts';
import { startDeploy, useRunStore } from '../store/run-store.ts';
import { ErrorNotice } from './error-notice.tsx';
import { ExistingDeployList } from './existing-deploy-list.tsx';
import { FolderLine } from './folder-line.tsx';
import { NewDeployFields, newDeployProblems } from './new-deploy-fields.tsx';
import { PressConfigSummary } from './press-config-summary.tsx';

type Mode = 'existing' | 'new';

/**
 * A folder is chosen: deploy it as a new version of an existing deploy, or
 * as the first version of a new one. A deploy whose slug matches the
 * folder's name is picked for you, else the deploy used last; otherwise a
 * new deploy is suggested.
 */
export function DeployChooser({ folder, target }: { folder: string; target: Target }) {
  const starting = useRunStore((state) => state.action === 'starting');
  const name = folderName(folder);
  const fetchDeploys = useCallback(
    (cursor: string | null) => pressdrop['deploys.list']({ targetId: target.id, cursor }),
    [target.id],
  );
  const deploys = usePagedList<Deploy>(target.id, fetchDeploys);
  const [mode, setMode] = useState<Mode | null>(null);
  const [selected, setSelected] = useState<Deploy | null>(null);
  const [slug, setSlug] = useState(() => suggestSlug(name) || 'site');
  const [title, setTitle] = useState(name);
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  // Bumped when main refuses the deploy over press.json: the summary reads it again and shows why, once.
  const [configReads, setConfigReads] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);

  // Decide once the first page is in, unless the user already has.
  useEffect(() => {
    if (mode !== null || deploys.status !== 'ready') return;
    const last = useAppStore.getState().lastDeploy;
    const match =
      deploys.items.find((deploy) => deploy.slug === suggestSlug(name)) ??
      (last?.targetId === target.id ? deploys.items.find((deploy) => deploy.id === last.deployId) : undefined);
    setSelected(match ?? null);
    setMode(match ? 'existing' : 'new');
  }, [mode, deploys.status, deploys.items, name, target.id]);

  const shownMode: Mode = mode ?? 'new';
  const problems = newDeployProblems(slug, title, deploys.items);
  const canDeploy = !starting && (shownMode === 'existing' ? selected !== null : Object.keys(problems).length === 0);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!canDeploy) return;
    setError(null);
    const choice: DeployChoice =
      shownMode === 'existing' ? { deployId: selected!.id } : { createDeploy: { slug, name: title.trim() } };
    const label =
      shownMode === 'existing'
        ? { name: selected!.name, slug: selected!.slug, deployId: selected!.id }
        : { name: title.trim(), slug, deployId: null };
    const refused = await startDeploy({ targetId: target.id, folder, deploy: choice }, label);
    if (refused?.code === 'press_config_invalid') setConfigReads((n) => n + 1);
    else if (refused) setError(refused);
    else folderStarted(folder);
  };

  return (
    <form className="card chooser" aria-labelledby="chooser-title" onSubmit={(event) => void submit(event)} noValidate>
      <FolderLine folder={folder} heading={heading} />

      <fieldset className="segmented">
        <legend>Deploy it to</legend>
        <label>
          <input
            type="radio"
            name="mode"
            value="existing"
            checked={shownMode === 'existing'}
            onChange={() => setMode('existing')}
          />
          An existing deploy
        </label>
        <label>
          <input type="radio" name="mode" value="new" checked={shownMode === 'new'} onChange={() => setMode('new')} />A
          new deploy
        </label>
      </fieldset>

      {shownMode === 'existing' ? (
        <ExistingDeployList deploys={deploys} selectedId={selected?.id ?? null} onSelect={setSelected} />
      ) : (
        <NewDeployFields
          slug={slug}
          name={title}
          onSlug={setSlug}
          onName={setTitle}
          problems={problems}
          showProblems={touched}
          apiUrl={target.apiUrl}
        />
      )}

      <PressConfigSummary folder={folder} readKey={configReads} />

      {touched && shownMode === 'existing' && !selected && (
        <p className="field-error">Choose the deploy this folder updates, or choose “A new deploy”.</p>
      )}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={starting}>
          {starting
            ? 'Starting…'
            : shownMode === 'existing'
              ? selected
                ? `Deploy to ${selected.name}`
                : 'Deploy'
              : 'Create and deploy'}
        </button>
      </div>
    </form>
  );
}
