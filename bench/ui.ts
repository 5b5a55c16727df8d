import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type CDPSession, type LaunchOptions, type Page } from '@playwright/test';
import globalSetup from '../e2e/global-setup.ts';
import { HARNESS_PRELOAD, openApp, RENDERER_DIR } from '../e2e/harness/app-harness.ts';
import { dropPaths, expectCommitted } from '../e2e/harness/ui-steps.ts';
import { ensureTestTools } from '../scripts/ensure-test-tools.ts';
import { ipcEventChannels } from '../src-shared/ipc-contract.ts';

/**
 * UI: does the session view stay smooth with 20,000 rows? The built
 * renderer in headless Chromium, driven through the e2e harness (the real
 * main-side handlers, engine and local server in this process), deploys a
 * folder of 20,000 small files through the UI. The page records its
 * requestAnimationFrame times, its long tasks and each run.events batch;
 * CDP's Performance metrics give the main thread's task time. Measured in
 * windows of the same page: idle before the run, the upload phase (windows
 * alternating between watching and scrolling the list with the wheel), and
 * idle after the commit with the 20,000-row list, watched and scrolled.
 * Figures only: nothing here passes or fails on a threshold.
 */

const env = process.env;
const FILES = Number(env.PRESSDROP_BENCH_UI_FILES ?? 20_000);
const ROUNDS = Number(env.PRESSDROP_BENCH_UI_ROUNDS ?? 3);
/** Length of each idle measurement. */
const IDLE_MS = Number(env.PRESSDROP_BENCH_UI_IDLE_SECONDS ?? 6) * 1000;
/** Upload windows alternate watching / scrolling every this long. */
const SLICE_MS = 3000;
const POLL_MS = 250;
/** One wheel notch every ~16 ms, as a trackpad sends them. */
const WHEEL_PX = 100;
const WHEEL_GAP_MS = 16;
const SMALL_MAX_BYTES = 16 * 1024;
const RUN_EVENTS = ipcEventChannels['run.events'];

type Kind = 'idle-empty' | 'prepare' | 'upload' | 'upload-scroll' | 'idle-list' | 'idle-list-scroll';

const LABELS: Record<Kind, string> = {
  'idle-empty': 'idle, no run (drop zone)',
  prepare: 'deploy: scan, hash, check (watching)',
  upload: 'deploy: upload phase, watching the list',
  'upload-scroll': 'deploy: upload phase, scrolling the list',
  'idle-list': `idle after the commit, ${FILES.toLocaleString('en')}-row list, watching`,
  'idle-list-scroll': `idle after the commit, ${FILES.toLocaleString('en')}-row list, scrolling`,
};

/** What the ratio of each case is taken against (a baseline is its own). */
const BASELINE_OF: Record<Kind, Kind> = {
  'idle-empty': 'idle-empty',
  prepare: 'idle-list',
  upload: 'idle-list',
  'upload-scroll': 'idle-list-scroll',
  'idle-list': 'idle-list',
  'idle-list-scroll': 'idle-list-scroll',
};

/** What the page records, from the moment the recorder is installed. */
interface PageRecord {
  /** requestAnimationFrame timestamps. */
  frames: number[];
  /** [startTime, duration] of each 'longtask' entry. */
  longTasks: Array<[number, number]>;
  /** [arrival time, events, file updates, ms handling it] of each run.events batch (see installRecorder). */
  batches: Array<[number, number, number, number]>;
  /** The batch with the most file updates, kept to time its structured clone after the run. */
  biggest: unknown;
  biggestUpdates: number;
  phase: string | null;
  ended: 'committed' | 'failed' | null;
}

/** One poll of the page. */
interface PageState {
  now: number;
  phase: string | null;
  ended: 'committed' | 'failed' | null;
  rows: number;
  nodes: number;
  scrollTop: number;
  scrollMax: number;
}

/** One measured window: page-time bounds and what was counted in it. */
interface Window {
  kind: Kind;
  t0: number;
  t1: number;
  /** CDP Performance deltas, ms. */
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  /** CDP's own clock, ms (the busy fraction's denominator). */
  cdpMs: number;
  maxRows: number;
  maxNodes: number;
  wheels: number;
  scrolledPx: number;
  /** CPU time of the page's main thread (the renderer processes' main threads, from /proc), and of all of Chromium, ms. */
  mainCpuMs: number;
  chromiumCpuMs: number;
  /** CPU of this process (engine, local server, Playwright) and of the whole machine, ms, over the window. */
  benchCpuMs: number;
  machineBusyMs: number;
  machineTotalMs: number;
}

/** Figures of one kind of window in one round. */
interface Figures {
  seconds: number;
  frames: number;
  p50: number;
  p95: number;
  max: number;
  longTasks: number;
  longTaskMs: number;
  busy: number;
  mainCpu: number;
  chromiumCpu: number;
  scriptShare: number;
  batchesPerSecond: number;
  updatesPerBatch: number;
  handleMean: number;
  handleMax: number;
  maxRows: number;
  maxNodes: number;
  wheelsPerSecond: number;
  scrollPxPerSecond: number;
  benchCpu: number;
  machineCpu: number;
}

// ---- in the page ----

/** Installed in the page (serialized by Playwright, so self-contained): rAF, long tasks, run.events batches. */
function installRecorder(channel: string): void {
  const w = window as unknown as {
    __uiBench: PageRecord;
    __pressdropEmit: (channel: string, payload: unknown) => void;
  };
  const record: PageRecord = {
    frames: [],
    longTasks: [],
    batches: [],
    biggest: null,
    biggestUpdates: 0,
    phase: null,
    ended: null,
  };
  w.__uiBench = record;
  const frame = (time: number) => {
    record.frames.push(time);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) record.longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask' });
  // The harness calls window.__pressdropEmit for every event main sends; count the run's batches on the way through.
  // Handling time: from the call to a microtask queued after it, which runs once React's render microtask (queued by
  // the store's update during the call) has rendered and committed: the renderer's own cost, without the transport.
  const emit = w.__pressdropEmit;
  w.__pressdropEmit = (name, payload) => {
    if (name !== channel) {
      emit(name, payload);
      return;
    }
    const events = (payload as { events: Array<{ type: string; phase?: string; updates?: unknown[] }> }).events;
    let updates = 0;
    for (const event of events) {
      if (event.type === 'files') updates += event.updates!.length;
      if (event.type === 'phase') record.phase = event.phase!;
      if (event.type === 'committed' || event.type === 'failed') record.ended = event.type;
    }
    if (updates > record.biggestUpdates) {
      record.biggest = payload;
      record.biggestUpdates = updates;
    }
    const entry: [number, number, number, number] = [performance.now(), events.length, updates, 0];
    record.batches.push(entry);
    emit(name, payload);
    queueMicrotask(() => (entry[3] = performance.now() - entry[0]));
  };
}

function pollPage(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const record = (window as unknown as { __uiBench: PageRecord }).__uiBench;
    const scroller = document.querySelector('.file-scroller');
    return {
      now: performance.now(),
      phase: record.phase,
      ended: record.ended,
      rows: document.querySelectorAll('.file-row').length,
      nodes: document.getElementsByTagName('*').length,
      scrollTop: scroller?.scrollTop ?? 0,
      scrollMax: scroller ? scroller.scrollHeight - scroller.clientHeight : 0,
    };
  });
}

// ---- in Node ----

/** Busy and total jiffies of the whole machine, from /proc/stat (zeros where there is none). */
function machineCpu(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** What a window reads at its start and end: the page, its CDP session, and a browser-level CDP session for CPU times. */
interface Probes {
  page: Page;
  cdp: CDPSession;
  browserCdp: CDPSession;
}

/** CPU ms of one thread, from /proc (utime + stime, in 10 ms ticks); 0 once it is gone. */
function threadCpuMs(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU ms so far of the renderers' main threads (an idle spare renderer adds nothing) and of every Chromium process. */
async function chromiumCpu(browserCdp: CDPSession): Promise<{ mainMs: number; allMs: number }> {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  const renderers = processInfo.filter((info) => info.type === 'renderer');
  return {
    mainMs: renderers.reduce((sum, info) => sum + threadCpuMs(info.id, info.id), 0),
    allMs: processInfo.reduce((sum, info) => sum + info.cpuTime * 1000, 0),
  };
}

async function cdpMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
}

/**
 * Measures one window: up to `maxMs`, or until `stop` says so; with `scroll`, wheel notches over the file list
 * the whole time, turning at either end. The page is polled every POLL_MS in every kind of window alike.
 */
async function measure(
  { page, cdp, browserCdp }: Probes,
  kind: Kind,
  maxMs: number,
  options: { stop?: (state: PageState) => boolean; scroll?: boolean } = {},
): Promise<{ window: Window; state: PageState }> {
  let direction = 1;
  if (options.scroll) {
    const box = await page.locator('.file-scroller').boundingBox();
    if (!box) throw new Error('ui: no file list to scroll');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  }
  const m0 = await cdpMetrics(cdp);
  const chromium0 = await chromiumCpu(browserCdp);
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  let state = await pollPage(page);
  const t0 = state.now;
  const window: Window = {
    kind,
    t0,
    t1: t0,
    taskMs: 0,
    scriptMs: 0,
    layoutMs: 0,
    styleMs: 0,
    cdpMs: 0,
    mainCpuMs: 0,
    chromiumCpuMs: 0,
    maxRows: state.rows,
    maxNodes: state.nodes,
    wheels: 0,
    scrolledPx: 0,
    benchCpuMs: 0,
    machineBusyMs: 0,
    machineTotalMs: 0,
  };
  const end = Date.now() + maxMs;
  let nextPoll = Date.now() + POLL_MS;
  while (Date.now() < end && !options.stop?.(state)) {
    if (options.scroll) {
      const sent = Date.now();
      await page.mouse.wheel(0, direction * WHEEL_PX);
      window.wheels++;
      // A notch every WHEEL_GAP_MS at most; slower when the page is slow to take them.
      await sleep(Math.max(0, WHEEL_GAP_MS - (Date.now() - sent)));
    } else {
      await sleep(Math.max(0, nextPoll - Date.now()));
    }
    if (Date.now() >= nextPoll) {
      const previous = state;
      state = await pollPage(page);
      nextPoll = Date.now() + POLL_MS;
      window.maxRows = Math.max(window.maxRows, state.rows);
      window.maxNodes = Math.max(window.maxNodes, state.nodes);
      window.scrolledPx += Math.abs(state.scrollTop - previous.scrollTop);
      if (state.scrollTop >= state.scrollMax - 2 * WHEEL_PX) direction = -1;
      else if (state.scrollTop <= 2 * WHEEL_PX) direction = 1;
    }
  }
  const last = await pollPage(page);
  window.scrolledPx += Math.abs(last.scrollTop - state.scrollTop);
  const m1 = await cdpMetrics(cdp);
  const chromium1 = await chromiumCpu(browserCdp);
  const cpu1 = process.cpuUsage(cpu0);
  const machine1 = machineCpu();
  window.t1 = last.now;
  window.maxRows = Math.max(window.maxRows, last.rows);
  window.maxNodes = Math.max(window.maxNodes, last.nodes);
  const delta = (name: string) => ((m1[name] ?? 0) - (m0[name] ?? 0)) * 1000;
  window.taskMs = delta('TaskDuration');
  window.scriptMs = delta('ScriptDuration');
  window.layoutMs = delta('LayoutDuration');
  window.styleMs = delta('RecalcStyleDuration');
  window.cdpMs = delta('Timestamp');
  window.mainCpuMs = chromium1.mainMs - chromium0.mainMs;
  window.chromiumCpuMs = chromium1.allMs - chromium0.allMs;
  window.benchCpuMs = (cpu1.user + cpu1.system) / 1000;
  // Jiffies are 10 ms on Linux (USER_HZ 100).
  window.machineBusyMs = (machine1.busy - machine0.busy) * 10;
  window.machineTotalMs = (machine1.total - machine0.total) * 10;
  return { window, state: last };
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
/** Nearest-rank percentile of ascending `values`. */
const percentile = (values: number[], p: number) =>
  values.length === 0
    ? NaN
    : values[Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))]!;
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)]!;

/** Sums a round's windows of one kind into its figures. */
function figures(record: PageRecord, windows: Window[]): Figures {
  const inAny = (time: number) => windows.some((w) => time >= w.t0 && time < w.t1);
  const intervals: number[] = [];
  for (let i = 1; i < record.frames.length; i++) {
    const [a, b] = [record.frames[i - 1]!, record.frames[i]!];
    // An interval counts for the window its frame lands in, and only if it began there too.
    if (windows.some((w) => a >= w.t0 && b < w.t1)) intervals.push(b - a);
  }
  const ms = windows.reduce((sum, w) => sum + (w.t1 - w.t0), 0);
  const seconds = ms / 1000;
  const longTasks = record.longTasks.filter(([start]) => inAny(start));
  const batches = record.batches.filter(([time]) => inAny(time));
  const sum = (pick: (w: Window) => number) => windows.reduce((total, w) => total + pick(w), 0);
  const ordered = sorted(intervals);
  return {
    seconds,
    frames: intervals.length,
    p50: percentile(ordered, 50),
    p95: percentile(ordered, 95),
    max: ordered.at(-1) ?? NaN,
    longTasks: longTasks.length,
    longTaskMs: longTasks.reduce((total, [, duration]) => total + duration, 0),
    busy: sum((w) => w.taskMs) / sum((w) => w.cdpMs),
    mainCpu: sum((w) => w.mainCpuMs) / sum((w) => w.cdpMs),
    chromiumCpu: sum((w) => w.chromiumCpuMs) / sum((w) => w.cdpMs),
    scriptShare: sum((w) => w.scriptMs) / sum((w) => w.cdpMs),
    batchesPerSecond: batches.length / seconds,
    updatesPerBatch:
      batches.length === 0 ? NaN : batches.reduce((total, [, , updates]) => total + updates, 0) / batches.length,
    handleMean: batches.length === 0 ? NaN : batches.reduce((total, [, , , ms]) => total + ms, 0) / batches.length,
    handleMax: batches.length === 0 ? NaN : Math.max(...batches.map(([, , , ms]) => ms)),
    maxRows: Math.max(...windows.map((w) => w.maxRows)),
    maxNodes: Math.max(...windows.map((w) => w.maxNodes)),
    wheelsPerSecond: sum((w) => w.wheels) / seconds,
    scrollPxPerSecond: sum((w) => w.scrolledPx) / seconds,
    benchCpu: sum((w) => w.benchCpuMs) / ms,
    machineCpu: sum((w) => w.machineBusyMs) / sum((w) => w.machineTotalMs),
  };
}

/** The newest modification time under `paths` (files or folders), ms. */
function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory())
      for (const entry of readdirSync(path, { recursive: true, withFileTypes: true }))
        if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The renderer and the harness preload as the e2e specs load them: the e2e global setup's build, run only when a source is newer. */
async function ensureBuilt(log: (line: string) => void): Promise<string> {
  const root = join(import.meta.dirname, '..');
  const outputs = [join(RENDERER_DIR, 'index.html'), HARNESS_PRELOAD].map(
    (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0,
  );
  const sources = [
    'src-renderer',
    'src-shared',
    'src-preload',
    'e2e/harness/browser-preload.ts',
    'electron.vite.config.ts',
    'package-lock.json',
  ].map((path) => join(root, path));
  if (newestMtime(sources) < Math.min(...outputs)) return 'reused (newer than its sources)';
  log('ui: building the renderer and the harness preload (the e2e global setup)…');
  const started = Date.now();
  await globalSetup();
  return `built by the e2e global setup (${((Date.now() - started) / 1000).toFixed(0)} s)`;
}

/** `count` files of 0–16 KiB of random bytes, 100 folders as in the e2e's 20,000-file test, every content distinct. */
function writeFiles(root: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const folder = join(root, `d${String(i % 100).padStart(2, '0')}`);
    if (i < 100) mkdirSync(folder, { recursive: true });
    // The index first: even the short files differ.
    writeFileSync(
      join(folder, `f${String(i).padStart(5, '0')}.dat`),
      Buffer.concat([Buffer.from(`${i}\n`), randomBytes(Math.floor(Math.random() * (SMALL_MAX_BYTES + 1)))]),
    );
  }
}

interface Round {
  record: PageRecord;
  windows: Window[];
  /** Click → upload phase, upload phase, click → committed; seconds. */
  prepareSeconds: number;
  uploadSeconds: number;
  totalSeconds: number;
  batchesTotal: number;
  /** The batch with the most file updates: its handling, the long task that carried it here, a structured clone of it. */
  biggest: { updates: number; handleMs: number; taskMs: number; cloneMs: number };
  load: string;
}

async function runRound(browser: Browser, site: string, round: number, log: (line: string) => void): Promise<Round> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const app = await openApp(browser);
  try {
    const { page } = app;
    await page.evaluate(installRecorder, RUN_EVENTS);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    const browserCdp = await browser.newBrowserCDPSession();
    const probes: Probes = { page, cdp, browserCdp };
    const windows: Window[] = [];
    // The window settles first (loading its targets and deploys), then the idle page is watched.
    await page.getByRole('contentinfo').waitFor();
    await sleep(2000);
    windows.push((await measure(probes, 'idle-empty', IDLE_MS)).window);

    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    const clicked = Date.now();
    const prepared = await measure(probes, 'prepare', 10 * 60_000, {
      stop: (state) => state.phase === 'upload' || state.ended !== null,
    });
    windows.push(prepared.window);
    if (prepared.state.ended === 'failed') throw new Error('ui: the deploy failed before its upload');
    const uploadStarted = Date.now();
    log(`ui: round ${round}: upload phase after ${((uploadStarted - clicked) / 1000).toFixed(1)} s`);
    // Watching and scrolling alternate through the upload; which comes first alternates by round.
    let scroll = round % 2 === 0;
    for (let state = prepared.state; state.phase === 'upload' && state.ended === null; scroll = !scroll) {
      const slice = await measure(probes, scroll ? 'upload-scroll' : 'upload', SLICE_MS, {
        scroll,
        stop: (s) => s.phase !== 'upload' || s.ended !== null,
      });
      windows.push(slice.window);
      state = slice.state;
    }
    const uploadSeconds = (Date.now() - uploadStarted) / 1000;
    await expectCommitted(page, 1, 10 * 60_000);
    const totalSeconds = (Date.now() - clicked) / 1000;
    log(`ui: round ${round}: upload ${uploadSeconds.toFixed(1)} s, committed after ${totalSeconds.toFixed(1)} s`);
    await sleep(1000);
    windows.push((await measure(probes, 'idle-list', IDLE_MS)).window);
    windows.push((await measure(probes, 'idle-list-scroll', IDLE_MS, { scroll: true })).window);
    const record = await page.evaluate(() => ({
      ...(window as unknown as { __uiBench: PageRecord }).__uiBench,
      biggest: null,
    }));
    // What Electron's IPC would do with the biggest batch instead of the harness's page.evaluate: a structured clone.
    const cloneMs = await page.evaluate(() => {
      const { biggest } = (window as unknown as { __uiBench: PageRecord }).__uiBench;
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        structuredClone(biggest);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[2]!;
    });
    await cdp.detach();
    await browserCdp.detach();
    const big = record.batches.find(([, , updates]) => updates === record.biggestUpdates)!;
    const carrier = record.longTasks.find(([start, duration]) => start <= big[0] && big[0] <= start + duration);
    const biggest = { updates: big[2], handleMs: big[3], taskMs: carrier?.[1] ?? NaN, cloneMs };
    return {
      record,
      windows,
      prepareSeconds: (uploadStarted - clicked) / 1000,
      uploadSeconds,
      totalSeconds,
      batchesTotal: record.batches.length,
      biggest,
      load,
    };
  } finally {
    await app.close();
  }
}

const KINDS: Kind[] = ['idle-empty', 'prepare', 'upload', 'upload-scroll', 'idle-list', 'idle-list-scroll'];

function report(rounds: Round[], build: string, browserVersion: string, launchOptions: LaunchOptions): string {
  const perRound = rounds.map(
    (round) =>
      Object.fromEntries(
        KINDS.map((kind) => [
          kind,
          figures(
            round.record,
            round.windows.filter((w) => w.kind === kind),
          ),
        ]),
      ) as Record<Kind, Figures>,
  );
  const med = (kind: Kind, pick: (f: Figures) => number) => median(perRound.map((r) => pick(r[kind])));
  const fix = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
  const pct = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : '–');
  const n = rounds.length;
  const cores = availableParallelism();
  const lines = [
    `### ui: the session view with ${FILES.toLocaleString('en')} files, headless Chromium ${browserVersion} on ${cores} cores, median of ${n} round${n === 1 ? '' : 's'}`,
    '',
    '| case | s measured | frame p50 (ms) | frame p95 (ms) | frame max (ms) | p95 ratio to baseline | long tasks (total ms) | long-task ms per s | main thread in tasks | main thread on CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const kind of KINDS) {
    const base = BASELINE_OF[kind];
    const ratio = base === kind ? 'baseline' : fix(median(perRound.map((r) => r[kind].p95 / r[base].p95)), 2);
    lines.push(
      `| ${LABELS[kind]} | ${fix(med(kind, (f) => f.seconds))} | ${fix(med(kind, (f) => f.p50))} | ${fix(med(kind, (f) => f.p95))} | ${fix(med(kind, (f) => f.max))} | ${ratio} | ${fix(
        med(kind, (f) => f.longTasks),
        0,
      )} (${fix(
        med(kind, (f) => f.longTaskMs),
        0,
      )}) | ${fix(med(kind, (f) => f.longTaskMs / f.seconds))} | ${pct(med(kind, (f) => f.busy))} | ${pct(med(kind, (f) => f.mainCpu))} |`,
    );
  }
  lines.push(
    '',
    `Ratios: each round's p95 ÷ that round's p95 of the idle ${FILES.toLocaleString('en')}-row list after the commit (watched, or scrolled for the scrolling row), median over rounds.`,
    '',
    '| case | run.events batches/s | file updates per batch | handling a batch, mean / max (ms) | `.file-row`s in the DOM (max) | DOM elements (max) | script share of the main thread | rAF frames/s | Chromium CPU, all processes | machine CPU busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const kind of KINDS) {
    lines.push(
      `| ${LABELS[kind]} | ${fix(med(kind, (f) => f.batchesPerSecond))} | ${fix(
        med(kind, (f) => f.updatesPerBatch),
        0,
      )} | ${fix(med(kind, (f) => f.handleMean))} / ${fix(med(kind, (f) => f.handleMax))} | ${fix(
        med(kind, (f) => f.maxRows),
        0,
      )} | ${fix(
        med(kind, (f) => f.maxNodes),
        0,
      )} | ${pct(med(kind, (f) => f.scriptShare))} | ${fix(
        med(kind, (f) => f.frames / f.seconds),
        0,
      )} | ${pct(med(kind, (f) => f.chromiumCpu))} | ${pct(med(kind, (f) => f.machineCpu))} |`,
    );
  }
  const big = (pick: (b: Round['biggest']) => number) => median(rounds.map((round) => pick(round.biggest)));
  const scrolling = (kind: Kind) =>
    `${fix(
      med(kind, (f) => f.wheelsPerSecond),
      0,
    )} wheel events/s moving the list ${fix(
      med(kind, (f) => f.scrollPxPerSecond),
      0,
    )} px/s`;
  lines.push(
    '',
    `Handling a batch: from the harness's call into the page to a microtask queued after it, i.e. the store's update and React's render and commit (not layout and paint). ` +
      `The biggest batch (the scan's, ${fix(
        big((b) => b.updates),
        0,
      )} file updates): handled in ${fix(big((b) => b.handleMs))} ms; the long task that carried it here ${fix(
        big((b) => b.taskMs),
        0,
      )} ms; ` +
      `a structured clone of it, what Electron's IPC does instead of the harness's \`page.evaluate\`, ${fix(big((b) => b.cloneMs))} ms. ` +
      `Scrolling: ${scrolling('upload-scroll')} during the upload, ${scrolling('idle-list-scroll')} after it. ` +
      `This process (engine, local server, Playwright) used ${pct(med('upload', (f) => f.benchCpu))} of a core during the upload.`,
    '',
    'Each round:',
    '',
    ...rounds.map((round, i) => {
      const f = perRound[i]!;
      const uploadTasks = round.record.longTasks.filter(([start]) =>
        round.windows.some((w) => w.kind.startsWith('upload') && start >= w.t0 && start < w.t1),
      );
      // A batch is handled inside the task that delivered it: which long tasks carried one, and what handling it took there.
      const carried = uploadTasks.flatMap(([start, duration]) =>
        round.record.batches.filter(([time]) => time >= start && time <= start + duration).map(([, , , ms]) => ms),
      );
      const carriers = uploadTasks.filter(([start, duration]) =>
        round.record.batches.some(([time]) => time >= start && time <= start + duration),
      ).length;
      return `- round ${i + 1}: click → upload ${round.prepareSeconds.toFixed(1)} s, upload ${round.uploadSeconds.toFixed(1)} s, click → committed ${round.totalSeconds.toFixed(1)} s; ${round.batchesTotal} batches in all; frame p95 (ms) ${KINDS.map((kind) => `${kind} ${fix(f[kind].p95)}`).join(', ')}; ${uploadTasks.length} long tasks during the upload (longest ${fix(Math.max(0, ...uploadTasks.map(([, d]) => d)), 0)} ms), ${carriers} of them delivering a batch${carried.length > 0 ? ` (handled there in ≤ ${fix(Math.max(...carried))} ms)` : ''}; load average before the round ${round.load}.`;
    }),
    '',
    `Conditions: headless Chromium (\`${launchOptions.executablePath ?? 'Playwright default'}\` ${(launchOptions.args ?? []).join(' ')}, as the e2e specs launch it), 1100×760 viewport, software rendering, rAF at 60 Hz; renderer ${build}; the engine, the local server and Playwright run in this process and share the ${cores} cores with Chromium. Events reach the page as the harness sends them (one \`page.evaluate\` per batch), not over Electron's IPC.`,
  );
  return lines.join('\n');
}

/** Runs the bench (a temp folder, removed after) and returns its markdown report. */
export async function ui(log: (line: string) => void = () => {}): Promise<string> {
  const executable = env.PRESSDROP_CHROMIUM || (await ensureTestTools());
  if (!executable) return '### ui\n\nSkipped: no Chromium (see scripts/ensure-test-tools.ts).';
  // The e2e config's launch options (system Chromium, its flags), read as the specs get them.
  env.PRESSDROP_CHROMIUM = executable;
  const { default: config } = await import('../e2e/playwright.config.ts');
  const launchOptions: LaunchOptions = config.projects?.find((project) => project.name === 'chromium')?.use
    ?.launchOptions ?? { executablePath: executable };
  const build = await ensureBuilt(log);
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-bench-'));
  const browser = await chromium.launch(launchOptions);
  try {
    const site = join(scratch, 'many');
    log(`ui: writing ${FILES} files of 0–16 KiB…`);
    writeFiles(site, FILES);
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) rounds.push(await runRound(browser, site, round, log));
    return report(rounds, build, browser.version(), launchOptions);
  } finally {
    await browser.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
