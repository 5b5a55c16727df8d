import { useEffect, useRef, type RefObject } from 'react';

/**
 * A `<dialog>` shown modal for as long as the component is mounted (focus
 * stays inside it, Escape fires its cancel event) and closed when it
 * unmounts. Returns the ref to put on the element.
 */
export function useModalDialog(): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);
  return dialog;
}
