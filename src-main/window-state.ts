import { screen, type BrowserWindow, type Rectangle } from 'electron';
import type Store from 'electron-store';

/** Where and how big the window was, so it opens there again (if that place is still on a screen). */
export function savedBounds(store: Store<Record<string, unknown>>): Partial<Rectangle> {
  const bounds = store.get('windowBounds') as Rectangle | undefined;
  if (!bounds) return { width: 1100, height: 760 };
  const visible = screen
    .getAllDisplays()
    .some(
      ({ workArea: area }) =>
        bounds.x < area.x + area.width &&
        bounds.x + bounds.width > area.x &&
        bounds.y < area.y + area.height &&
        bounds.y + bounds.height > area.y,
    );
  return visible ? bounds : { width: bounds.width, height: bounds.height };
}

/** Remembers the window's normal bounds and maximized state as they change. */
export function rememberBounds(window: BrowserWindow, store: Store<Record<string, unknown>>): void {
  const save = () => {
    if (!window.isMaximized() && !window.isMinimized()) store.set('windowBounds', window.getBounds());
    store.set('windowMaximized', window.isMaximized());
  };
  window.on('resized', save);
  window.on('moved', save);
  window.on('maximize', save);
  window.on('unmaximize', save);
  if (store.get('windowMaximized') === true) window.maximize();
}
