/** electron-vite: `import path from './x.ts?modulePath'` builds x as its own entry and gives its path. */
declare module '*?modulePath' {
  const path: string;
  export default path;
}
