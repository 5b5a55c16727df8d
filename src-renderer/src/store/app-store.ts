import { create } from 'zustand';
import type {
  AppInfo,
  FolderCheck,
  IpcError,
  IpcRequests,
  IpcResult,
  KeyStorage,
  ResumableDeploy,
  Target,
} from '../../../src-shared/ipc-contract.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { isLive } from './run-events.ts';
import { dismissRun, useRunStore } from './run-store.ts';
import type { HistoryPlace, View } from './places.ts';

/** Everything the window shows besides the run: targets, the chosen folder, resumable deploys, where the user is. */
export interface AppState {
  info: AppInfo | null;
  loadError: IpcError | null;
  targets: Target[];
  selectedTargetId: string;
  keyStorage: KeyStorage;
  view: View;
  /** The folder about to be deployed (checked by main). */
  folder: string | null;
  /** Why the last drop or pick gave no folder. */
  folderError: IpcError | null;
  resumables: ResumableDeploy[];
  history: HistoryPlace;
  /** The deploy used last (on its target), which the window opens on. */
  lastDeploy: { targetId: string; deployId: string } | null;
}

/** The app's state outside the run. */
export const useAppStore = create<AppState>()(() => ({
  info: null,
  loadError: null,
  targets: [],
  selectedTargetId: 'local',
  keyStorage: 'keychain',
  view: 'deploy',
  folder: null,
  folderError: null,
  resumables: [],
  history: { deploy: null, versionId: null },
  lastDeploy: null,
}));

/** Loads what the first screen needs, all at once. */
export async function loadApp(): Promise<void> {
  const [info, targets, resumables, lastDeploy] = await Promise.all([
    pressdrop['app.info'](null),
    pressdrop['targets.list'](null),
    pressdrop['jobs.resumable'](null),
    pressdrop['settings.lastDeploy'](null),
  ]);
  if (!info.ok || !targets.ok) {
    useAppStore.setState({ loadError: !info.ok ? info.error : !targets.ok ? targets.error : null });
    return;
  }
  useAppStore.setState({
    info: info.value,
    loadError: null,
    targets: targets.value.targets,
    selectedTargetId: targets.value.selectedId,
    keyStorage: targets.value.keyStorage,
    resumables: resumables.ok ? resumables.value : [],
    lastDeploy: lastDeploy.ok ? lastDeploy.value : null,
  });
}

/** The selected target, or null before the first load. */
export function selectedTarget(state: AppState): Target | null {
  return state.targets.find((target) => target.id === state.selectedTargetId) ?? null;
}

async function reloadTargets(): Promise<void> {
  const answer = await pressdrop['targets.list'](null);
  if (answer.ok)
    useAppStore.setState({
      targets: answer.value.targets,
      selectedTargetId: answer.value.selectedId,
      keyStorage: answer.value.keyStorage,
    });
}

/** Deploys and History now go to another target. */
export async function selectTarget(targetId: string): Promise<IpcError | null> {
  const answer = await pressdrop['targets.select']({ targetId });
  if (!answer.ok) return answer.error;
  useAppStore.setState({ selectedTargetId: targetId, history: { deploy: null, versionId: null } });
  return null;
}

/** Adds a target (main checks its URL and key first) and selects it. */
export async function addTarget(payload: IpcRequests['targets.add']['payload']): Promise<IpcError | null> {
  const answer = await pressdrop['targets.add'](payload);
  if (!answer.ok) return answer.error;
  await reloadTargets();
  return selectTarget(answer.value.id);
}

/** A deploy of the chosen folder started: back to the drop zone for the next one. */
export function folderStarted(folder: string): void {
  // Deploying a folder picks up its interrupted job, if any: it is no longer waiting in the banner.
  useAppStore.setState((state) => ({
    resumables: state.resumables.filter((job) => job.folder !== folder),
    folder: null,
    folderError: null,
  }));
}

/** Forgets a target the user added, and its key. */
export async function removeTarget(targetId: string): Promise<IpcError | null> {
  const answer = await pressdrop['targets.remove']({ targetId });
  if (!answer.ok) return answer.error;
  await reloadTargets();
  useAppStore.setState({ history: { deploy: null, versionId: null } });
  return null;
}

/** Switches between Deploy and History. */
export function showView(view: View): void {
  useAppStore.setState({ view });
}

/** Opens History at a deploy, or a version of it. */
export function openHistory(history: HistoryPlace): void {
  useAppStore.setState({ view: 'history', history });
}

/** True while a run owns the Deploy view (another folder would have to wait). */
function runIsActive(): boolean {
  const { status, action } = useRunStore.getState();
  return isLive(status) || action === 'starting';
}

async function adoptFolder(check: Promise<IpcResult<FolderCheck>>): Promise<void> {
  const checked = await check;
  if (!checked.ok) return void useAppStore.setState({ folderError: checked.error });
  if (!checked.value.ok)
    return void useAppStore.setState({ folderError: { code: 'invalid_folder', message: checked.value.message } });
  if (useRunStore.getState().status !== 'idle') await dismissRun();
  useAppStore.setState({ folder: checked.value.path, folderError: null, view: 'deploy' });
}

/** The OS folder picker (the button, and File › Deploy a Folder…). */
export async function chooseFolder(): Promise<void> {
  useAppStore.setState({ view: 'deploy' });
  if (runIsActive()) return;
  const answer = await pressdrop['folder.choose'](null);
  if (!answer.ok) return void useAppStore.setState({ folderError: answer.error });
  if (answer.value) await adoptFolder(pressdrop['folder.check']({ path: answer.value }));
}

/** What was dropped on the window: exactly one folder is accepted, anything else answered in words. */
export async function dropItems(files: readonly File[]): Promise<void> {
  if (runIsActive()) return;
  if (files.length === 0) return void useAppStore.setState({ folderError: { code: 'drop_nothing', message: '' } });
  if (files.length > 1)
    return void useAppStore.setState({
      folderError: { code: 'drop_several', message: `You dropped ${files.length} items.` },
    });
  await adoptFolder(pressdrop.dropFolder(files[0]));
}

/** Back to the drop zone. */
export function clearFolder(): void {
  useAppStore.setState({ folder: null, folderError: null });
}

/** Asks main again which deploys wait for resume (after a run ends or is left). */
export async function refreshResumables(): Promise<void> {
  const answer = await pressdrop['jobs.resumable'](null);
  if (answer.ok) useAppStore.setState({ resumables: answer.value });
}

/** Gives up an interrupted deploy: it is no longer offered. */
export async function discardJob(jobId: string): Promise<IpcError | null> {
  const answer = await pressdrop['jobs.abandon']({ jobId });
  if (!answer.ok) return answer.error;
  useAppStore.setState((state) => ({ resumables: state.resumables.filter((job) => job.jobId !== jobId) }));
  return null;
}

/** Stops offering a job (it is being resumed now). */
export function forgetResumable(jobId: string): void {
  useAppStore.setState((state) => ({ resumables: state.resumables.filter((job) => job.jobId !== jobId) }));
}

// A committed run's deploy becomes the one the window opens on next, as main also remembers it; a target
// whose History cannot list versions shows the version committed last instead, which main has just recorded.
useRunStore.subscribe((run, previous) => {
  if (run.status !== 'committed' || previous.status === 'committed' || !run.targetId) return;
  const target = useAppStore.getState().targets.find((candidate) => candidate.id === run.targetId);
  if (target && !target.capabilities.versions) void reloadTargets();
  else if (run.deploy?.deployId)
    useAppStore.setState({ lastDeploy: { targetId: run.targetId, deployId: run.deploy.deployId } });
});
