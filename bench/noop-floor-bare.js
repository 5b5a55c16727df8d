// Plain JavaScript on purpose: Node runs a .ts file only after loading its type stripper (~0.13 s
// here, more than the scan it would time), so a floor in TypeScript measured that instead.
import { closeSync, fdatasyncSync, lstatSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The no-op re-deploy's floor on this machine (issue 12), as bare processes that do only what such a
 * deploy cannot skip, with no library, no TypeScript and none of our code:
 *
 * - `node bench/noop-floor-bare.js scan <tree>`: start Node, list the tree and lstat every file once
 *   (with ns times, as a hash cache's key needs): what a Node tool does before it knows nothing
 *   changed; `git status` makes the same lstats.
 * - `node bench/noop-floor-bare.js serve <dir>`: a server that parses each JSON body it gets and
 *   writes a commit's body to one file in `dir`, synced, before it answers: the least a server can
 *   do to take a session and durably keep a version. Prints its URL.
 * - `node bench/noop-floor-bare.js deploy <tree> <manifest.json> <url>`: the scan, then the tree's
 *   hashes read from one JSON file (the cheapest hash cache there is), then the session and the
 *   commit of the whole manifest, as the protocol sends them, to that server.
 */

export const NOOP_FLOOR_BARE = fileURLToPath(import.meta.url);

/**
 * The paths under `dir` of `tree` (its .git left out), relative to `tree`, appended to `out`.
 * @param {string} tree @param {string} dir @param {string[]} out
 */
export function walk(tree, dir, out) {
  for (const entry of readdirSync(join(tree, dir), { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== '.git') walk(tree, path, out);
    } else out.push(path);
  }
  return out;
}

/** @param {string} tree @returns {number} the regular files seen */
function scan(tree) {
  let files = 0;
  for (const path of walk(tree, '', [])) if (lstatSync(join(tree, path), { bigint: true }).isFile()) files++;
  if (files === 0) throw new Error(`no files in ${tree}`);
  return files;
}

/** @param {string} dir */
function serve(dir) {
  let versions = 0;
  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { files, entries } = JSON.parse(body.toString('utf8'));
      if (req.url?.endsWith('/commit')) {
        const fd = openSync(join(dir, `version-${++versions}.json`), 'w');
        writeSync(fd, body);
        fdatasyncSync(fd);
        closeSync(fd);
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ count: (files ?? entries).length }));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = /** @type {import('node:net').AddressInfo} */ (server.address());
    process.stdout.write(`http://127.0.0.1:${address.port}\n`);
  });
}

/** @param {string} url @param {string} path @param {unknown} body @returns {Promise<{count: number}>} */
function post(url, path, body) {
  const bytes = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length } },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** @param {string} tree @param {string} manifest @param {string} url */
async function deploy(tree, manifest, url) {
  const seen = scan(tree);
  /** @type {Array<{mime: string, path: string, sha256: string, size: number}>} */
  const files = JSON.parse(readFileSync(manifest, 'utf8'));
  await post(url, '/v1/upload-sessions', { deployId: 'dpl_floor', files });
  const entries = files.map(({ mime, path, sha256, size }) => ({ blobHash: sha256, mime, path, size }));
  const { count } = await post(url, '/v1/upload-sessions/us_floor/commit', { entries });
  if (count !== seen) throw new Error(`the server kept ${count} entries of ${seen} files`);
}

if (process.argv[1] === NOOP_FLOOR_BARE) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'scan' && args[0]) scan(args[0]);
  else if (mode === 'serve' && args[0]) serve(args[0]);
  else if (mode === 'deploy' && args[0] && args[1] && args[2]) await deploy(args[0], args[1], args[2]);
  else
    throw new Error(
      'usage: node bench/noop-floor-bare.js scan <tree> | serve <dir> | deploy <tree> <manifest.json> <url>',
    );
}
