import { promises as fs } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { PART_SUFFIX } from './download-state'
import type { DownloadEvent } from './download-events'
import { createFileDigest, feedExisting, type FileDigest } from './file-digest'
import { describeError, HubError, isAbortError } from './hub-error'
import type { FetchLike } from './hub-fetch'
import { localPath } from './local-path'
import type { ProgressMeter } from './progress-meter'
import type { RepoFile } from './repo-listing'
import { resolveUrl } from './repo-ref'
import { backoffDelay, isRetryableStatus, sleep, type RetryPolicy } from './retry-policy'

/** What one file transfer needs from the download around it. */
export interface TransferContext {
  endpoint: string
  repo: string
  commit: string
  dest: string
  fetch: FetchLike
  retry: RetryPolicy
  meter: ProgressMeter
  emit: (event: DownloadEvent) => void
  progressIntervalMs: number
  signal?: AbortSignal
  /** For redacting text from servers and sockets. */
  secret?: string
}

/** How a finished file was vouched for. */
export type Verification = 'sha256' | 'git-sha1' | 'size'

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/

/** A failure worth another attempt (connection trouble, a 5xx); carries the reason. */
class TransientError extends Error {}

/** Where a transfer stands: bytes in the partial file, and their running hash. */
interface TransferState {
  offset: number
  digest: FileDigest | null
}

/**
 * Fetches one file into `<name>.part` and, once its size and hash check out, renames it to its
 * final name. A `.part` left by an earlier attempt or process is resumed with a Range request;
 * the answer must be a 206 whose Content-Range starts at the requested offset, otherwise the file
 * starts over. Dropped connections and 5xx answers are retried with backoff (the count resets
 * whenever an attempt made progress, so a flaky but working connection still finishes); a wrong
 * hash deletes the file and throws.
 */
export async function transferFile(file: RepoFile, ctx: TransferContext): Promise<Verification> {
  const finalPath = localPath(ctx.dest, file.path)
  const partPath = finalPath + PART_SUFFIX
  await fs.mkdir(path.dirname(finalPath), { recursive: true })

  const state: TransferState = {
    offset: (await fs.stat(partPath).catch(() => null))?.size ?? 0,
    digest: createFileDigest(file)
  }
  if (state.offset > file.size) {
    await fs.rm(partPath, { force: true })
    ctx.emit({
      type: 'file-restart',
      path: file.path,
      reason: `the partial file (${state.offset} bytes) is larger than the listed size (${file.size} bytes)`
    })
    state.offset = 0
  }
  if (state.digest !== null) await feedExisting(partPath, state.offset, state.digest, ctx.signal)
  ctx.meter.credit(state.offset)
  ctx.emit({ type: 'file-start', path: file.path, size: file.size, offset: state.offset })

  const restart = async (reason: string): Promise<void> => {
    ctx.emit({ type: 'file-restart', path: file.path, reason })
    ctx.meter.discard(state.offset)
    state.offset = 0
    state.digest = createFileDigest(file)
    await fs.rm(partPath, { force: true })
  }

  let retry = 0
  while (state.offset < file.size || !(await exists(partPath))) {
    const before = state.offset
    try {
      const response = await request(file, state.offset, ctx)
      const body = await acceptResponse(response, file, state.offset, ctx, restart)
      if (body === 'restart') continue
      await writeBody(body, partPath, state, file, ctx)
      if (state.offset < file.size) {
        throw new TransientError(
          `the connection closed after ${state.offset} of ${file.size} bytes`
        )
      }
    } catch (error) {
      if (isAbortError(error, ctx.signal)) throw aborted(error)
      if (!(error instanceof TransientError)) throw error
      // Progress means the connection works: resume at once rather than count it as a failure.
      if (state.offset > before) retry = 0
      retry++
      if (retry > ctx.retry.retries) {
        throw new HubError(
          'network',
          `${file.path}: ${error.message} (gave up after ${ctx.retry.retries + 1} attempts)`,
          { cause: error }
        )
      }
      const delayMs = backoffDelay(ctx.retry, retry)
      ctx.emit({
        type: 'retry',
        path: file.path,
        retry,
        retries: ctx.retry.retries,
        delayMs,
        reason: error.message
      })
      try {
        await sleep(delayMs, ctx.signal)
      } catch (abortError) {
        throw aborted(abortError)
      }
    }
  }

  const verifiedBy = await verify(file, partPath, state.digest)
  await fs.rename(partPath, finalPath)
  return verifiedBy
}

async function request(file: RepoFile, offset: number, ctx: TransferContext): Promise<Response> {
  const headers: Record<string, string> = {}
  if (offset > 0) headers.range = `bytes=${offset}-`
  // Compressed transfer would make byte offsets meaningless for Range and resume.
  headers['accept-encoding'] = 'identity'
  try {
    return await ctx.fetch(resolveUrl(ctx.endpoint, ctx.repo, ctx.commit, file.path), {
      headers,
      signal: ctx.signal ?? null
    })
  } catch (error) {
    if (error instanceof HubError || isAbortError(error, ctx.signal)) throw error
    throw new TransientError(describeError(error, ctx.secret))
  }
}

/**
 * Checks the status and, for a resumed transfer, that the server honoured the Range. Returns the
 * body to append, or 'restart' when the file must start over with a fresh request.
 */
async function acceptResponse(
  response: Response,
  file: RepoFile,
  offset: number,
  ctx: TransferContext,
  restart: (reason: string) => Promise<void>
): Promise<ReadableStream<Uint8Array> | 'restart'> {
  const status = response.status
  const drop = (): Promise<void> =>
    response.body?.cancel().catch(() => undefined) ?? Promise.resolve()
  if (status === 401 || status === 403) {
    await drop()
    throw new HubError(
      'unauthorized',
      `${file.path}: this repository needs an access token (or yours lacks access)`,
      { status }
    )
  }
  if (status === 404) {
    await drop()
    throw new HubError(
      'not-found',
      `${file.path}: repository or revision not found (the file is listed but ${ctx.repo}@${ctx.commit} does not serve it)`,
      { status }
    )
  }
  if (status === 416) {
    await drop()
    await restart(`the server cannot serve bytes from ${offset} on (416)`)
    return 'restart'
  }
  if (isRetryableStatus(status)) {
    await drop()
    throw new TransientError(`the server answered ${status}`)
  }
  if (status !== 200 && status !== 206) {
    await drop()
    throw new HubError('http', `${file.path}: unexpected HTTP status ${status}`, { status })
  }
  if (response.body === null) throw new TransientError('the answer has no body')

  if (offset > 0 && status === 200) {
    // The whole file is coming: keep it, from byte 0.
    await restart('the server ignored the Range request (answered 200); starting the file over')
  } else if (status === 206) {
    const range = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '')
    const start = range === null ? NaN : Number(range[1])
    const total = range === null || range[3] === '*' ? file.size : Number(range[3])
    if (start !== offset || total !== file.size) {
      await drop()
      await restart(
        `the server answered a different range (${response.headers.get('content-range') ?? 'no Content-Range'}) than bytes=${offset}-; starting the file over`
      )
      return 'restart'
    }
  }
  const length = response.headers.get('content-length')
  if (status === 200 && length !== null && Number(length) !== file.size) {
    await drop()
    throw new HubError(
      'size-mismatch',
      `${file.path}: the server sends ${length} bytes but the listing says ${file.size}`
    )
  }
  return response.body
}

/**
 * Appends the body to the partial file, hashing and counting as it goes. `state.offset` follows
 * every chunk written, so after a cut it says exactly where to resume.
 */
async function writeBody(
  body: ReadableStream<Uint8Array>,
  partPath: string,
  state: TransferState,
  file: RepoFile,
  ctx: TransferContext
): Promise<void> {
  const handle = await fs.open(partPath, state.offset === 0 ? 'w' : 'a')
  const reader = body.getReader()
  let lastEmit = 0
  let lastOffset = -1
  const emitProgress = (force: boolean): void => {
    const now = performance.now()
    if (state.offset === lastOffset) return
    if (!force && now - lastEmit < ctx.progressIntervalMs) return
    lastEmit = now
    lastOffset = state.offset
    const totals = ctx.meter.totals()
    ctx.emit({
      type: 'progress',
      path: file.path,
      fileDoneBytes: state.offset,
      fileTotalBytes: file.size,
      doneBytes: totals.doneBytes,
      totalBytes: totals.totalBytes,
      bytesPerSecond: totals.bytesPerSecond,
      etaSeconds: totals.etaSeconds
    })
  }
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (state.offset + value.byteLength > file.size) {
        throw new HubError(
          'size-mismatch',
          `${file.path}: the server sent more than the listed ${file.size} bytes`
        )
      }
      await handle.write(value)
      state.digest?.update(value)
      state.offset += value.byteLength
      ctx.meter.add(value.byteLength)
      emitProgress(false)
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined)
    if (error instanceof HubError || isAbortError(error, ctx.signal)) throw error
    // What arrived before the cut is on disk and hashed; the next attempt resumes after it.
    throw new TransientError(describeError(error, ctx.secret))
  } finally {
    emitProgress(true)
    await handle.sync().catch(() => undefined)
    await handle.close()
  }
}

async function verify(
  file: RepoFile,
  partPath: string,
  digest: FileDigest | null
): Promise<Verification> {
  const size = (await fs.stat(partPath)).size
  if (size !== file.size) {
    await fs.rm(partPath, { force: true })
    throw new HubError(
      'size-mismatch',
      `${file.path}: downloaded ${size} bytes but the listing says ${file.size}; the file was deleted`
    )
  }
  if (digest === null) return 'size'
  const actual = digest.hex()
  if (actual !== digest.expected) {
    await fs.rm(partPath, { force: true })
    const name = digest.algorithm === 'sha256' ? 'sha256' : 'git blob id'
    throw new HubError(
      'hash-mismatch',
      `${file.path}: ${name} mismatch: expected ${digest.expected}, got ${actual}. The file was deleted and the model is not usable; download it again (if this repeats, the server or a proxy delivers different bytes than the repository lists)`
    )
  }
  return digest.algorithm
}

function aborted(cause: unknown): HubError {
  return new HubError(
    'aborted',
    'the download was cancelled; partial files were kept, so running it again resumes',
    { cause }
  )
}

async function exists(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => null)) !== null
}
