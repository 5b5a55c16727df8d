import type { DeployEngine } from '../src-core/deploy-engine.ts';
import type { SecretStore } from '../src-core/ports.ts';
import type { IpcEvents, KeyStorage } from '../src-shared/ipc-contract.ts';
import type { SettingsStore } from './target-registry.ts';

/** API keys of remote targets, named by target id, kept encrypted by the OS (safeStorage in the app). */
export interface KeyVault extends SecretStore {
  /** How well this system can keep them. */
  storage(): KeyStorage;
}

/** What the controller needs from its host; everything Electron-specific comes in here. */
export interface AppPorts {
  appVersion: string;
  engine: DeployEngine;
  localServer: { url: string; apiKey: string; dataDir: string };
  settings: SettingsStore;
  keys: KeyVault;
  openExternal(url: string): Promise<void>;
  chooseFolder(): Promise<string | null>;
  /** Opens a file (a PDF) with the system's default app; rejects with the OS's reason. */
  openPath(path: string): Promise<void>;
  /** Main's own save dialog for a PDF, starting at `suggestedName`: the chosen path, or null when cancelled. */
  choosePdfPath(suggestedName: string): Promise<string | null>;
  /** A private folder where main keeps the PDFs it opens with the system viewer (the host may empty it at launch). */
  pdfDir: string;
  emit<Name extends keyof IpcEvents>(name: Name, payload: IpcEvents[Name]): void;
  /** A deploy started, ended or changed pace: the host shows taskbar progress, notifications, keeps the system awake. */
  onRunActivity?(activity: { active: number; fraction: number | null; ended?: { ok: boolean; message: string } }): void;
}
