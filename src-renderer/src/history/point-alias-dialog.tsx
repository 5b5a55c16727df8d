import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { AliasView, IpcError, Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { useModalDialog } from '../hooks/use-modal-dialog.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import type { DeployRef, VersionRef } from '../store/places.ts';
import { planAlias, versionName } from './alias-plan.ts';

/** The choice "a new alias" in the radio group (alias names start with a letter, so it cannot clash). */
const NEW = '#new';

/**
 * "Point alias…": choose one of the deploy's aliases or type a new name,
 * and point it at this version. A new alias is pointed at once; moving an
 * existing one (a promotion, or a roll back to an older version) first asks
 * "Move production from #3 to #1?", and main refuses if it moved since.
 */
export function PointAliasDialog({
  target,
  deploy,
  version,
  onClose,
  onPointed,
}: {
  target: Target;
  deploy: DeployRef;
  version: VersionRef;
  onClose: () => void;
  onPointed: (alias: AliasView) => void;
}) {
  const dialog = useModalDialog();
  const back = useRef<HTMLButtonElement>(null);
  const [aliases, setAliases] = useState<AliasView[] | null>(null);
  const [choice, setChoice] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [touched, setTouched] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [loads, setLoads] = useState(0);

  useEffect(() => {
    let current = true;
    void pressdrop['aliases.list']({ targetId: target.id, deployId: deploy.id }).then((answer) => {
      if (!current) return;
      if (!answer.ok) return setError(answer.error);
      const sorted = [...answer.value].sort((a, b) => (a.name < b.name ? -1 : 1));
      setAliases(sorted);
      // The first alias that points elsewhere is the likely one to move here; with none, a new one.
      setChoice((chosen) => chosen ?? sorted.find((alias) => alias.deployVersionId !== version.id)?.name ?? NEW);
    });
    return () => {
      current = false;
    };
  }, [target.id, deploy.id, version.id, loads]);

  // The question is where attention must go; the safe answer has the focus, so a second Enter does not move anything.
  useEffect(() => {
    if (confirming) back.current?.focus();
  }, [confirming]);

  const name = choice === NEW ? typed.trim() : (choice ?? '');
  const plan = planAlias(name, aliases ?? [], version);

  const send = async () => {
    setSending(true);
    setError(null);
    const answer = await pressdrop['aliases.set']({
      targetId: target.id,
      deployId: deploy.id,
      name,
      versionId: version.id,
      expectedVersionId: plan.kind === 'move' ? plan.from.deployVersionId : null,
    });
    setSending(false);
    setConfirming(false);
    if (answer.ok) return onPointed(answer.value);
    setError(answer.error);
    // It moved meanwhile: show where it points now, so the next question is the right one.
    if (answer.error.code === 'alias_moved') setLoads((n) => n + 1);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (plan.kind === 'new') void send();
    else if (plan.kind === 'move') setConfirming(true);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="point-alias-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="point-alias-title">Point an alias to #{version.versionNo}</h2>
        <p className="muted">
          An alias is a name that points to one version
          {deploy.slug && (
            <>
              , with an address of its own such as{' '}
              <span className="path-inline">/preview/{deploy.slug}/production/</span>
            </>
          )}
          . Moving it to an older version rolls the deploy back.
        </p>
        {aliases === null && !error && (
          <p className="muted" role="status">
            Loading the aliases…
          </p>
        )}
        {aliases !== null && (
          <fieldset className="alias-choices" disabled={confirming || sending}>
            <legend>Alias</legend>
            {aliases.map((alias) => (
              <label key={alias.name} className="alias-choice">
                <input
                  type="radio"
                  name="alias"
                  value={alias.name}
                  checked={choice === alias.name}
                  onChange={() => setChoice(alias.name)}
                />
                <span className="chip">{alias.name}</span>
                <span className="muted">
                  {alias.deployVersionId === version.id ? 'points here' : `now at ${versionName(alias.versionNo)}`}
                </span>
              </label>
            ))}
            <label className="alias-choice">
              <input type="radio" name="alias" value={NEW} checked={choice === NEW} onChange={() => setChoice(NEW)} />
              <span>{aliases.length > 0 ? 'A new alias' : 'New alias'}</span>
            </label>
            {choice === NEW && (
              <label className="field alias-new">
                <span>Name</span>
                <input
                  value={typed}
                  onChange={(event) => setTyped(event.target.value)}
                  placeholder="production"
                  autoComplete="off"
                  spellCheck={false}
                  aria-invalid={touched && plan.kind === 'invalid'}
                  aria-describedby="alias-name-hint"
                />
                <span id="alias-name-hint" className="field-hint">
                  Lowercase letters, digits and hyphens, starting with a letter.
                </span>
              </label>
            )}
          </fieldset>
        )}
        {touched && plan.kind === 'invalid' && <p className="field-error">{plan.problem}</p>}
        {plan.kind === 'already' && (
          <p className="notice notice-info" role="status">
            {plan.message}
          </p>
        )}
        {error && <ErrorNotice error={error} />}
        {confirming && plan.kind === 'move' ? (
          <div className="dialog-confirm" role="group" aria-labelledby="move-alias-question">
            <div>
              <p id="move-alias-question" className="dialog-confirm-question">
                {plan.question}
              </p>
              <p className="muted">
                {plan.rollBack
                  ? `Whoever opens ${plan.name} gets the older #${version.versionNo} again.`
                  : `Whoever opens ${plan.name} gets #${version.versionNo} from now on.`}
              </p>
            </div>
            <div className="dialog-actions">
              <button ref={back} type="button" className="button-quiet" onClick={() => setConfirming(false)}>
                Back
              </button>
              <button type="button" className="button-primary" onClick={() => void send()} disabled={sending}>
                {sending ? 'Moving…' : plan.action}
              </button>
            </div>
          </div>
        ) : (
          <div className="dialog-actions">
            <button type="button" className="button-quiet" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              className="button-primary"
              disabled={sending || aliases === null || plan.kind === 'already'}
            >
              {sending
                ? 'Pointing…'
                : plan.kind === 'move'
                  ? `${plan.action}…`
                  : plan.kind === 'new'
                    ? plan.action
                    : 'Point alias'}
            </button>
          </div>
        )}
      </form>
    </dialog>
  );
}
