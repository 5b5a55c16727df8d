import { useEffect, type RefObject } from 'react';

/**
 * Moves focus to a screen's heading when the screen replaces the one that
 * had it (the pressed button is gone), so keyboard and screen-reader users
 * continue from the new screen's top rather than from the page's start.
 */
export function useFocusOnMount(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const active = document.activeElement;
    if (!active || active === document.body || !active.isConnected) ref.current?.focus();
  }, [ref]);
}
