import { contextBridge, ipcRenderer } from 'electron';
import { createPressdropApi } from './create-api.ts';

contextBridge.exposeInMainWorld(
  'pressdrop',
  createPressdropApi({ invoke: (channel, payload) => ipcRenderer.invoke(channel, payload) }),
);
