import { promises as fs } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { DownloadEvent, PlannedFile } from './download-events'
import { ManifestWriter, removeCompleteMarker, writeCompleteMarker } from './download-state'
import { describeError, HubError, redact } from './hub-error'
import { resolveHubEndpoint } from './hub-endpoint'
import { createHubFetch } from './hub-fetch'
import { localPath } from './local-path'
import { selectPipelineFiles } from './pipeline-files'
import { selectPreviewDecoderFiles } from './preview-decoder-files'
import { ProgressMeter } from './progress-meter'
import { fetchRepoListing, type RepoFile } from './repo-listing'
import { validateRepoId, validateRevision } from './repo-ref'
import { alreadyComplete, bytesOnDisk, carryOver, checkFreeSpace, inspectDest } from './resume-plan'
import { retryPolicy, type RetryOptions } from './retry-policy'
import { transferFile, type TransferContext } from './transfer-file'

/**
 * Where a download goes: a folder, or a function of the commit the revision resolves to (the
 * Hugging Face cache keeps each commit in `snapshots/<commit>`).
 */
export type DownloadDest = string | ((commit: string) => string)

/** What {@link downloadModel} fetches, where to, and how it reports. */
export interface DownloadModelOptions {
  /** Repository id, e.g. `stabilityai/sd-turbo`. */
  repo: string
  /** Branch, tag or commit. Default `main`. */
  revision?: string
  /**
   * Destination folder (or the function giving it for the resolved commit): created if missing;
   * must be empty or hold a download of the same repo.
   */
  dest: DownloadDest
  /**
   * Access token for gated or private repositories. Sent as `Authorization: Bearer …` to the
   * endpoint's origin only (never to the CDN it redirects to); never logged, written or reported.
   */
  accessToken?: string
  /** Hub endpoint; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string
  /** Where `HF_ENDPOINT` is read from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** Cancels the download; partial files stay for a resume. */
  signal?: AbortSignal
  /** Progress and state events; see {@link DownloadEvent}. */
  onEvent?: (event: DownloadEvent) => void
  /** One line per HTTP exchange and per decision, for diagnostics. Never contains the token. */
  log?: (line: string) => void
  /** Retries for transient failures (default 5 retries, 1 s doubling to at most 30 s). */
  retry?: RetryOptions
  /** Files fetched at once; default 2. */
  concurrency?: number
  /** Minimum time between two progress events of one file; default 250 ms. */
  progressIntervalMs?: number
  /**
   * What the repository holds: `pipeline` (default), an ONNX diffusion pipeline; or
   * `preview-decoder`, a TAESD export of which only `vae_decoder/` is fetched.
   */
  contents?: 'pipeline' | 'preview-decoder'
}

/** A finished download. */
export interface DownloadResult {
  repo: string
  revision: string
  commit: string
  /** Absolute path of the model folder, now usable. */
  dest: string
  files: PlannedFile[]
  totalBytes: number
  /** Bytes fetched by this run (0 when everything was already there). */
  downloadedBytes: number
}

/**
 * Downloads the ONNX diffusion pipeline of a Hub repository into `dest`: resolves the revision
 * to a commit, lists its files, keeps only what the pipeline needs, fetches them (resuming any
 * partial files), verifies every size and hash, and finally writes the completion marker that
 * makes the folder a usable model. Throws a {@link HubError}; its message names the repository
 * or file and never contains the token.
 */
export async function downloadModel(options: DownloadModelOptions): Promise<DownloadResult> {
  try {
    return await download(options)
  } catch (error) {
    throw asHubError(error, options)
  }
}

/**
 * Every failure as a HubError: a cancel that surfaced as a raw AbortError (e.g. during the
 * listing) becomes `aborted`; local file-system errors become `filesystem` (`disk-space` when
 * the disk is full). Anything else is a bug and is rethrown as is.
 */
function asHubError(error: unknown, options: DownloadModelOptions): unknown {
  if (error instanceof HubError) return error
  if (options.signal?.aborted === true) {
    return new HubError(
      'aborted',
      'the download was cancelled; partial files were kept, so running it again resumes',
      { cause: error }
    )
  }
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (typeof code === 'string' && error instanceof Error) {
    const message = describeError(error, options.accessToken)
    return code === 'ENOSPC'
      ? new HubError('disk-space', `the disk is full: ${message}`, { cause: error })
      : new HubError('filesystem', `cannot write the download: ${message}`, { cause: error })
  }
  return error
}

async function download(options: DownloadModelOptions): Promise<DownloadResult> {
  const started = performance.now()
  const repo = validateRepoId(options.repo)
  const revision = validateRevision(options.revision ?? 'main')
  const token = checkToken(options.accessToken)
  const concurrency = options.concurrency ?? 2
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new HubError(
      'invalid-argument',
      `concurrency must be an integer from 1 to 16 (got ${concurrency})`
    )
  }
  const endpoint = resolveHubEndpoint(options.endpoint, options.env)
  // A fixed folder is checked before any request; a per-commit one once the commit is known.
  const fixedDest = typeof options.dest === 'string' ? path.resolve(options.dest) : null
  const log = (line: string): void => options.log?.(redact(line, token))
  const emit = (event: DownloadEvent): void => {
    try {
      options.onEvent?.(event)
    } catch (error) {
      // A failing listener (a closed window, say) must not break or corrupt the download.
      log(`an event listener threw: ${describeError(error, token)}`)
    }
  }
  const policy = retryPolicy(options.retry)
  const fetch = createHubFetch({ endpoint, accessToken: token, log })

  const earlyStatus = fixedDest === null ? null : await inspectDest(fixedDest, repo)
  const listing = await fetchRepoListing({
    repo,
    revision,
    endpoint,
    fetch,
    retry: policy,
    hasToken: token !== undefined,
    signal: options.signal,
    secret: token,
    onRetry: (n) => emit({ type: 'retry', path: null, ...n })
  })
  emit({ type: 'resolved', repo, revision, commit: listing.commit })
  const dest =
    fixedDest ?? path.resolve((options.dest as (commit: string) => string)(listing.commit))
  const status = earlyStatus ?? (await inspectDest(dest, repo))
  const select =
    options.contents === 'preview-decoder' ? selectPreviewDecoderFiles : selectPipelineFiles
  const selection = select(listing.files, `${repo}@${revision}`)
  // Small files first: configs and tokenizers are usable for validation while weights stream.
  const files = [...selection.needed].sort(
    (a, b) => a.size - b.size || a.path.localeCompare(b.path)
  )
  for (const f of files) localPath(dest, f.path)
  const planned: PlannedFile[] = files.map((f) => ({
    path: f.path,
    size: f.size,
    sha256: f.sha256
  }))
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0)
  log(
    `${repo}@${revision} = ${listing.commit}: ${files.length} files, ${totalBytes} bytes; skipping ${selection.skipped.length}`
  )

  if (await alreadyComplete(status, listing.commit, files, dest)) {
    emit({
      type: 'plan',
      files: planned,
      skipped: selection.skipped,
      totalBytes,
      alreadyDoneBytes: totalBytes
    })
    for (const f of files) {
      emit({
        type: 'file-done',
        path: f.path,
        size: f.size,
        verifiedBy: verifiedBy(f),
        reused: true
      })
    }
    emit({
      type: 'complete',
      commit: listing.commit,
      totalBytes,
      downloadedBytes: 0,
      elapsedMs: performance.now() - started
    })
    return {
      repo,
      revision,
      commit: listing.commit,
      dest,
      files: planned,
      totalBytes,
      downloadedBytes: 0
    }
  }

  // From here on the folder changes: it must not look usable until the new marker is written.
  await fs.mkdir(dest, { recursive: true })
  await removeCompleteMarker(dest)
  const previous = status.state === 'partial' ? status.manifest.files : []
  const manifestFiles = await carryOver(files, previous, dest)
  const manifest = new ManifestWriter(dest, {
    format: 1,
    repo,
    revision,
    commit: listing.commit,
    endpoint,
    files: manifestFiles,
    updatedAt: new Date().toISOString()
  })
  await manifest.save()

  const onDisk = await bytesOnDisk(files, manifestFiles, dest)
  await checkFreeSpace(dest, totalBytes - onDisk)
  emit({
    type: 'plan',
    files: planned,
    skipped: selection.skipped,
    totalBytes,
    alreadyDoneBytes: onDisk
  })

  const doneBytes = files
    .filter((f) => manifestFiles.find((m) => m.path === f.path)?.done === true)
    .reduce((sum, f) => sum + f.size, 0)
  const meter = new ProgressMeter(totalBytes, doneBytes)
  // One failing file stops the others (their partials stay); the first real error is thrown.
  const inner = new AbortController()
  const onOuterAbort = (): void => inner.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted === true) onOuterAbort()
  const ctx: TransferContext = {
    endpoint,
    repo,
    commit: listing.commit,
    dest,
    fetch,
    retry: policy,
    meter,
    emit,
    progressIntervalMs: options.progressIntervalMs ?? 250,
    signal: inner.signal,
    secret: token
  }
  const queue = files.filter((f) => manifestFiles.find((m) => m.path === f.path)?.done !== true)
  for (const f of files) {
    if (!queue.includes(f)) {
      emit({
        type: 'file-done',
        path: f.path,
        size: f.size,
        verifiedBy: verifiedBy(f),
        reused: true
      })
    }
  }
  let firstError: unknown
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (inner.signal.aborted) return
      try {
        const how = await transferFile(file, ctx)
        await manifest.markDone(file.path)
        emit({
          type: 'file-done',
          path: file.path,
          size: file.size,
          verifiedBy: how,
          reused: false
        })
      } catch (error) {
        firstError ??= error
        inner.abort(error)
        return
      }
    }
  }
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, worker)
    )
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
  if (firstError !== undefined) throw firstError
  if (options.signal?.aborted === true) {
    throw new HubError(
      'aborted',
      'the download was cancelled; partial files were kept, so running it again resumes'
    )
  }

  await writeCompleteMarker(dest, {
    format: 1,
    repo,
    revision,
    commit: listing.commit,
    endpoint,
    files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, gitOid: f.gitOid })),
    completedAt: new Date().toISOString()
  })
  const downloadedBytes = meter.receivedBytes
  emit({
    type: 'complete',
    commit: listing.commit,
    totalBytes,
    downloadedBytes,
    elapsedMs: performance.now() - started
  })
  log(`${dest} is complete`)
  return {
    repo,
    revision,
    commit: listing.commit,
    dest,
    files: planned,
    totalBytes,
    downloadedBytes
  }
}

function checkToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined
  // A header value with a newline could inject headers; one with spaces is a paste mistake.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(token) || token.length > 4096) {
    throw new HubError(
      'invalid-argument',
      'the access token contains whitespace or control characters (check the copy and paste)'
    )
  }
  return token
}

function verifiedBy(f: RepoFile): 'sha256' | 'git-sha1' | 'size' {
  return f.sha256 !== null ? 'sha256' : f.gitOid !== null ? 'git-sha1' : 'size'
}
