// The import rule of ARCHITECTURE.md, enforced at error level with no
// exemption list: the folder says where code runs, and a layer cannot
// import what it must not use. The per-folder tsconfigs enforce the same
// rule a second way (a layer's project cannot even see the other files).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const layers = ['src-shared', 'src-core', 'src-server', 'src-cli', 'src-main', 'src-preload', 'src-renderer', 'e2e'];

/** Which layers each layer may import (besides itself). */
const mayImport = {
  'src-shared': [],
  'src-core': ['src-shared'],
  'src-server': ['src-shared'],
  'src-cli': ['src-shared', 'src-core', 'src-server'],
  'src-main': ['src-shared', 'src-core', 'src-server'],
  'src-preload': ['src-shared'],
  'src-renderer': ['src-shared'],
  e2e: layers.filter((layer) => layer !== 'e2e'),
};

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** Packages a layer must not import, beyond other layers. */
const forbiddenPackages = {
  'src-shared': {
    patterns: [{ regex: '^[^.]', message: 'src-shared is plain types and constants: no packages, no Node, no DOM.' }],
  },
  'src-core': {
    paths: ['electron', 'react', 'react-dom', 'zustand'].map((name) => ({
      name,
      message: 'src-core is pure Node: ports bring in what differs between app, CLI and tests.',
    })),
  },
  'src-server': {
    paths: ['electron', 'react', 'react-dom', 'zustand'].map((name) => ({ name, message: 'src-server is pure Node.' })),
  },
  'src-cli': {
    paths: ['electron', 'react', 'react-dom', 'zustand'].map((name) => ({
      name,
      message: 'the CLI runs in plain Node.',
    })),
  },
  'src-main': {
    paths: ['react', 'react-dom', 'zustand'].map((name) => ({ name, message: 'UI code belongs in src-renderer.' })),
  },
  'src-preload': {
    paths: [
      {
        name: 'electron',
        allowImportNames: ['contextBridge', 'ipcRenderer', 'webUtils'],
        message: 'the preload may use only contextBridge, ipcRenderer and webUtils.',
      },
      ...nodeBuiltins.map((name) => ({ name, message: 'the preload is sandboxed: no Node modules.' })),
    ],
  },
  'src-renderer': {
    paths: [
      { name: 'electron', message: 'the renderer reaches main only through window.pressdrop (src-renderer/src/ipc/).' },
      ...nodeBuiltins.map((name) => ({ name, message: 'the renderer has no Node: ask main through IPC.' })),
    ],
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', 'playwright-report/', '.bench/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [
          './src-*/tsconfig.json',
          './src-shared/tsconfig.test.json',
          './src-renderer/tsconfig.test.json',
          './tsconfig.tools.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    // Imports name their files with the .ts extension: Node's own resolution finds them (no-cycle follows them).
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js'] })],
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      // A cycle makes two modules one in all but name: each file should be understandable from what it imports.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: layers
            .map((layer) => ({
              target: `./${layer}`,
              from: layers
                .filter((other) => other !== layer && !mayImport[layer].includes(other))
                .map((other) => `./${other}`),
              message: `${layer} may import only ${mayImport[layer].join(', ') || 'nothing from other folders'} (ARCHITECTURE.md).`,
            }))
            .filter((zone) => zone.from.length > 0),
        },
      ],
      // node:test's test()/describe() return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      // Fastify handlers are async by convention: they may return a value or throw an ApiError.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...Object.entries(forbiddenPackages).map(([layer, restriction]) => ({
    files: [`${layer}/**/*.{ts,tsx}`],
    // Tests run in Node (node:test): the layer's code stays free of Node, its tests need not.
    ignores: layer === 'src-shared' || layer === 'src-renderer' ? ['**/*.test.ts'] : [],
    rules: { 'no-restricted-imports': ['error', restriction] },
  })),
  {
    // Tests and their fixtures may read any field of a parsed JSON answer.
    files: ['**/*.test.ts', '**/testing/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.{ts,js}'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
