import type { RefObject } from 'react';
import { folderName } from '../format.ts';
import { clearFolder } from '../store/app-store.ts';

/** The chooser's first line: the folder's icon, "Deploy “name”" with its path, and a way to pick another folder. */
export function FolderLine({ folder, heading }: { folder: string; heading: RefObject<HTMLHeadingElement | null> }) {
  return (
    <div className="folder-line">
      <svg className="folder-icon" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z" fill="currentColor" />
      </svg>
      <div className="folder-text">
        <h2 id="chooser-title" ref={heading} tabIndex={-1}>
          Deploy “{folderName(folder)}”
        </h2>
        <p className="path" title={folder}>
          {folder}
        </p>
      </div>
      <button type="button" className="button-quiet" onClick={clearFolder}>
        Change folder
      </button>
    </div>
  );
}
