import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * No two modules import each other, however indirectly: not at run time
 * (ESLint's import-x/no-cycle says so as you type) and not through types
 * either, which that rule does not follow. A cycle makes two files one in
 * all but name: neither can be read, tested or moved without the other.
 */
const root = join(import.meta.dirname, '..');
const FOLDERS = [
  'src-shared',
  'src-core',
  'src-server',
  'src-cli',
  'src-main',
  'src-preload',
  'src-renderer',
  'e2e',
  'scripts',
  'bench',
];
// `import … from './x.ts'`, `export … from './x.ts'`, `import './x.ts'` and `import('./x.ts')`, types included.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'screenshots' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every local import of every source file: file → the files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of FOLDERS.filter((folder) => existsSync(join(root, folder))).flatMap((folder) =>
    sourceFiles(join(root, folder)),
  )) {
    const targets = [...readFileSync(file, 'utf8').matchAll(SPECIFIER)]
      .map((match) => resolve(dirname(file), match[1]!.replace(/\?.*$/, '')))
      .filter((target) => /\.tsx?$/.test(target) && existsSync(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components of more than one file, or of one file importing itself (Tarjan's algorithm). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node))
      found.push(component.map((file) => relative(root, file)).sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

test('no import cycles, type imports included, in any folder', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `only ${graph.size} source files found`);
  assert.deepEqual(cycles(graph), [], 'these files import each other (directly or round about)');
});

test('the cycle finder finds a cycle through type imports', () => {
  const graph = new Map([
    ['/a.ts', ['/b.ts']],
    ['/b.ts', ['/c.ts']],
    ['/c.ts', ['/a.ts']],
    ['/d.ts', ['/a.ts']],
  ]);
  assert.equal(cycles(graph).length, 1);
  assert.equal(cycles(graph)[0]!.length, 3);
  assert.deepEqual(
    cycles(
      new Map([
        ['/a.ts', ['/b.ts']],
        ['/b.ts', []],
      ]),
    ),
    [],
  );
});
