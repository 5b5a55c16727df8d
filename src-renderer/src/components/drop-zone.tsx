import { useState, type DragEvent } from 'react';
import { chooseFolder, dropItems, selectedTarget, useAppStore } from '../store/app-store.ts';
import { KIND_NAMES } from '../target-words.ts';
import { ErrorNotice } from './error-notice.tsx';

/** The first screen: drop a folder here, or choose one. A file, or several items, get an answer in words. */
export function DropZone() {
  const folderError = useAppStore((state) => state.folderError);
  const target = useAppStore(selectedTarget);
  const [over, setOver] = useState(false);

  const onDragOver = (event: DragEvent) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const onDragLeave = (event: DragEvent) => {
    // dragleave also fires when the pointer moves onto a child; only leaving the zone counts.
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOver(false);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    // Handled here; the window's own drop handler (for drops elsewhere) must not take it a second time.
    event.stopPropagation();
    setOver(false);
    void dropItems([...event.dataTransfer.files]);
  };

  return (
    <section
      className={`drop-zone${over ? ' is-over' : ''}`}
      aria-labelledby="drop-title"
      data-testid="drop-zone"
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      <svg className="drop-art" viewBox="0 0 48 48" aria-hidden="true">
        <path
          d="M6 14a4 4 0 0 1 4-4h9l4 4h15a4 4 0 0 1 4 4v18a4 4 0 0 1-4 4H10a4 4 0 0 1-4-4z"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
          strokeLinejoin="round"
        />
        <path
          d="M24 34V21m-6 6 6-6 6 6"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      <h2 id="drop-title">{over ? 'Drop to choose this folder' : 'Drop a folder here to deploy it'}</h2>
      <p className="drop-text">
        Everything in it goes live as a new version on{' '}
        <strong>{!target || target.builtIn ? 'this computer’s Press Cloud' : target.name}</strong>
        {target && !target.builtIn && ` (${KIND_NAMES[target.kind]})`}. Only files the server does not already have are
        uploaded.
      </p>
      <button type="button" className="button-primary" onClick={() => void chooseFolder()}>
        Choose folder…
      </button>
      {folderError && (
        <div className="drop-error">
          <ErrorNotice error={folderError} onDismiss={() => useAppStore.setState({ folderError: null })} />
        </div>
      )}
    </section>
  );
}
