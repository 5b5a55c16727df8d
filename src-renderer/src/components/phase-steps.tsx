import type { DeployPhase } from '../../../src-shared/upload-model.ts';
import type { RunStatus } from '../store/run-store.ts';

const PHASES: readonly { phase: DeployPhase; label: string }[] = [
  { phase: 'scan', label: 'Scan folder' },
  { phase: 'hash', label: 'Hash files' },
  { phase: 'check', label: 'Check server' },
  { phase: 'upload', label: 'Upload' },
  { phase: 'commit', label: 'Commit version' },
];

type StepState = 'done' | 'current' | 'failed' | 'upcoming';

/** The five phases of a deploy as steps: done, current (or where it failed), and to come. */
export function PhaseSteps({ phase, status }: { phase: DeployPhase | null; status: RunStatus }) {
  const currentIndex = phase ? PHASES.findIndex((step) => step.phase === phase) : 0;
  const stateOf = (index: number): StepState => {
    if (status === 'committed' || index < currentIndex) return 'done';
    if (index > currentIndex) return 'upcoming';
    return status === 'failed' ? 'failed' : 'current';
  };
  return (
    <ol className="phase-steps" aria-label="Phases">
      {PHASES.map((step, index) => {
        const state = stateOf(index);
        return (
          <li
            key={step.phase}
            className={`phase-step is-${state}`}
            aria-current={state === 'current' ? 'step' : undefined}
          >
            <span className="phase-marker" aria-hidden="true">
              {state === 'done' ? '✓' : state === 'failed' ? '✕' : index + 1}
            </span>
            <span className="phase-label">{step.label}</span>
            <span className="visually-hidden">
              {state === 'done'
                ? ' (done)'
                : state === 'failed'
                  ? ' (stopped here)'
                  : state === 'current'
                    ? ' (now)'
                    : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
