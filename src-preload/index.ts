import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createPressdropApi } from './create-api.ts';

contextBridge.exposeInMainWorld(
  'pressdrop',
  createPressdropApi({
    invoke: (channel, payload) => ipcRenderer.invoke(channel, payload),
    on: (channel, listener) => {
      // The event object stays here: the renderer gets the payload only, never the sender.
      const wrapped = (_event: unknown, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => ipcRenderer.removeListener(channel, wrapped);
    },
    pathForFile: (file) => (file instanceof File ? webUtils.getPathForFile(file) : ''),
  }),
);
