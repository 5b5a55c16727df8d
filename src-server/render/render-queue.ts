import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Pdf, RenderConfig, RenderJob, RenderJobStatus } from '../../src-shared/api-types.ts';
import type { BlobStore } from '../blob-store.ts';
import { inTransaction, statementCache } from '../database.ts';
import { newId } from '../ids.ts';
import type { Metadata, VersionRow } from '../metadata.ts';
import { PrintFailure, type PdfPrinter } from './pdf-printer.ts';
import { pdfPageCount } from './pdf-facts.ts';

/** A `render_jobs` row. */
interface JobRow {
  seq: number;
  id: string;
  deploy_version_id: string;
  status: RenderJobStatus;
  attempts: number;
  next_attempt_at: number | null;
  pdf_id: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
}

/** A `pdfs` row. */
export interface PdfRow {
  id: string;
  render_job_id: string;
  deploy_version_id: string;
  sha256: string;
  size: number;
  page_count: number;
  created_at: number;
}

/** How the queue works through its jobs. */
export interface RenderQueueOptions {
  /** Jobs rendering at once (`--render-concurrency`, default 1). */
  concurrency: number;
  /** Attempts in all, the first included (the contract's 3). */
  maxAttempts: number;
  /** The wait before the 2nd, 3rd… attempt; the last one repeats. */
  retryDelaysMs: readonly number[];
}

/** The contract's queue: one at a time, 3 attempts, 2 s then 8 s between them. */
export const DEFAULT_RENDER_QUEUE_OPTIONS: RenderQueueOptions = {
  concurrency: 1,
  maxAttempts: 3,
  retryDelaysMs: [2_000, 8_000],
};

/** A version's print timeout when its render config names none (the contract's default). */
const DEFAULT_RENDER_TIMEOUT_MS = 30_000;

/**
 * The render job queue, kept in SQLite so it survives restarts: states and
 * transitions exactly as seed 002 lists them, at most `concurrency` jobs
 * rendering at once, a backoff between attempts and `maxAttempts` in all,
 * and every PDF stored in the blob store, content-addressed. A job that was
 * `rendering` when the server stopped is `queued` again by `start`.
 */
export class RenderQueue {
  readonly #db: DatabaseSync;
  readonly #metadata: Metadata;
  readonly #blobs: BlobStore;
  readonly #printer: PdfPrinter;
  readonly #options: RenderQueueOptions;
  readonly #now: () => number;
  readonly #sql: (sql: string) => StatementSync;
  #previewOrigin = '';
  #running = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    parts: { metadata: Metadata; blobs: BlobStore; printer: PdfPrinter; now: () => number },
    options: RenderQueueOptions,
  ) {
    this.#db = parts.metadata.db;
    this.#sql = statementCache(this.#db);
    this.#metadata = parts.metadata;
    this.#blobs = parts.blobs;
    this.#printer = parts.printer;
    this.#now = parts.now;
    this.#options = options;
  }

  /** Starts working once the server listens (its preview origin is where pages are printed from); re-queues what a stop interrupted. */
  start(previewOrigin: string): void {
    this.#previewOrigin = previewOrigin.replace(/\/+$/, '');
    inTransaction(this.#db, () =>
      this.#sql("UPDATE render_jobs SET status = 'queued', updated_at = ? WHERE status = 'rendering'").run(this.#now()),
    );
    this.#pump();
  }

  /** Stops taking jobs; jobs rendering now are left `rendering`, to be queued again at the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#printer.close();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** A new queued job for the version, in the contract's shape. Call inside a write transaction; the queue is nudged once it commits. */
  insertJob(versionId: string): RenderJob {
    const now = this.#now();
    const id = newId('rj');
    this.#sql(
      "INSERT INTO render_jobs (id, deploy_version_id, status, attempts, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?)",
    ).run(id, versionId, now, now);
    return toRenderJob(this.#job(id)!);
  }

  /** Looks for work now (after a job was created). */
  nudge(): void {
    queueMicrotask(() => this.#pump());
  }

  job(id: string): RenderJob | undefined {
    const row = this.#job(id);
    return row && toRenderJob(row);
  }

  /** A version's jobs, newest first; `beforeSeq` is the cursor key. Fetches `limit` rows. */
  listJobs(versionId: string, beforeSeq: number | null, limit: number): Array<{ seq: number; job: RenderJob }> {
    const rows = this.#sql(
      'SELECT * FROM render_jobs WHERE deploy_version_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ).all(versionId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as unknown as JobRow[];
    return rows.map((row) => ({ seq: row.seq, job: toRenderJob(row) }));
  }

  pdf(id: string): PdfRow | undefined {
    return this.#sql('SELECT * FROM pdfs WHERE id = ?').get(id) as PdfRow | undefined;
  }

  #job(id: string): JobRow | undefined {
    return this.#sql('SELECT * FROM render_jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  /** Queues the retries that are due, starts jobs while there is room, and sets a timer for the next retry. */
  #pump(): void {
    if (this.#stopped || !this.#previewOrigin) return;
    const now = this.#now();
    // retry_scheduled → queued, as the seed's states go, once its time has come.
    inTransaction(this.#db, () =>
      this.#sql(
        "UPDATE render_jobs SET status = 'queued', next_attempt_at = NULL, updated_at = ? WHERE status = 'retry_scheduled' AND next_attempt_at <= ?",
      ).run(now, now),
    );
    while (this.#running < this.#options.concurrency) {
      const next = this.#claimNext();
      if (!next) break;
      this.#running++;
      const attempt = this.#attempt(next).finally(() => {
        this.#running--;
        this.#inFlight.delete(attempt);
        this.#pump();
      });
      this.#inFlight.add(attempt);
    }
    const due = this.#sql(
      "SELECT min(next_attempt_at) AS at FROM render_jobs WHERE status = 'retry_scheduled'",
    ).get() as { at: number | null };
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = due.at === null ? null : setTimeout(() => this.#pump(), Math.max(0, due.at - now));
    this.#timer?.unref();
  }

  /** The oldest queued job, now `rendering` with one more attempt; null when none waits. */
  #claimNext(): JobRow | null {
    return inTransaction(this.#db, () => {
      const row = this.#sql("SELECT * FROM render_jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").get() as
        JobRow | undefined;
      if (!row) return null;
      this.#sql(
        "UPDATE render_jobs SET status = 'rendering', attempts = attempts + 1, updated_at = ? WHERE id = ?",
      ).run(this.#now(), row.id);
      return this.#job(row.id)!;
    });
  }

  async #attempt(job: JobRow): Promise<void> {
    const version = this.#metadata.versionById(job.deploy_version_id)!;
    let bytes: Buffer;
    try {
      bytes = await this.#printer.print(this.#printRequest(version));
    } catch (error) {
      // A stop closes the browser under the job: it is not the page's fault, and the next start queues it again.
      if (this.#stopped) return;
      const failure =
        error instanceof PrintFailure
          ? error
          : new PrintFailure('render_crashed', error instanceof Error ? error.message : String(error));
      return this.#failed(job, failure);
    }
    try {
      await this.#store(job, version, bytes);
    } catch (error) {
      if (this.#stopped) return;
      this.#failed(
        job,
        new PrintFailure(
          'render_crashed',
          `The PDF could not be stored: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }

  #printRequest(version: VersionRow) {
    const deploy = this.#metadata.deployById(version.deploy_id)!;
    const render = version.render_json === null ? null : (JSON.parse(version.render_json) as RenderConfig);
    const route = (version.route ?? '/index.html').split('/').map(encodeURIComponent).join('/');
    return {
      url: `${this.#previewOrigin}/preview/${encodeURIComponent(deploy.slug)}/${version.version_no}${route}`,
      title: version.title,
      timeoutMs: render?.renderTimeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS,
    };
  }

  async #store(job: JobRow, version: VersionRow, bytes: Buffer): Promise<void> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.#blobs.ingest(Readable.from([bytes]), { sha256, size: bytes.length });
    const pdfId = newId('pdf');
    inTransaction(this.#db, () => {
      const now = this.#now();
      this.#sql(
        'INSERT INTO pdfs (id, render_job_id, deploy_version_id, sha256, size, page_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(pdfId, job.id, version.id, sha256, bytes.length, pdfPageCount(bytes), now);
      this.#sql(
        "UPDATE render_jobs SET status = 'succeeded', pdf_id = ?, error_code = NULL, error_message = NULL, updated_at = ? WHERE id = ?",
      ).run(pdfId, now, job.id);
    });
  }

  /** retry_scheduled with the reason while attempts remain; failed with it after the last. */
  #failed(job: JobRow, failure: PrintFailure): void {
    const now = this.#now();
    const { maxAttempts, retryDelaysMs } = this.#options;
    inTransaction(this.#db, () => {
      if (job.attempts < maxAttempts) {
        const delay = retryDelaysMs[Math.min(job.attempts - 1, retryDelaysMs.length - 1)] ?? 0;
        this.#sql(
          "UPDATE render_jobs SET status = 'retry_scheduled', next_attempt_at = ?, error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
        ).run(now + delay, failure.code, failure.message, now, job.id);
      } else {
        this.#sql(
          "UPDATE render_jobs SET status = 'failed', next_attempt_at = NULL, error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
        ).run(failure.code, failure.message, now, job.id);
      }
    });
  }
}

/** A job row in the contract's `renderJob` shape. */
function toRenderJob(row: JobRow): RenderJob {
  return {
    id: row.id,
    status: row.status,
    deployVersionId: row.deploy_version_id,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    nextAttemptAt: row.next_attempt_at,
    pdfId: row.pdf_id,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
  };
}

/** A pdf row in the contract's `pdf` shape. */
export function toPdf(row: PdfRow): Pdf {
  return {
    id: row.id,
    renderJobId: row.render_job_id,
    deployVersionId: row.deploy_version_id,
    size: row.size,
    pageCount: row.page_count,
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}
