import { pressdrop } from '../ipc/pressdrop.ts';
import { chooseFolder, loadApp } from './app-store.ts';
import { applyRenderProgress } from './render-store.ts';
import { applyRunAliases, applyRunEvents } from './run-store.ts';

let connected = false;

/**
 * Subscribes the stores to main, once for the window's life: run events
 * (and the aliases pointed after a commit) feed the run store, render
 * progress the render store, menu commands reach the app store. Called by main.tsx
 * before the first render, so no batch is missed; never from a component,
 * where StrictMode's double effects would subscribe twice.
 */
export function connectToMain(): void {
  if (connected) return;
  connected = true;
  pressdrop.on('run.events', applyRunEvents);
  pressdrop.on('run.aliases', applyRunAliases);
  pressdrop.on('render.progress', applyRenderProgress);
  pressdrop.on('menu.command', ({ command }) => {
    if (command === 'chooseFolder') void chooseFolder();
  });
  void loadApp();
}
