import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type {
  DownloadRequest,
  DownloadSummary,
  KnownModelInfo,
  ModelPrecision
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { EventHub } from '../events/event-hub'
import { downloadModel, HubError, type DownloadEvent } from '../engine'
import {
  defaultFolderName,
  findKnownPreviewDecoder,
  KNOWN_ONNX_MODELS,
  KNOWN_PREVIEW_DECODERS,
  type KnownModelFamily
} from '../hub'
import type { ModelRegistry } from './model-registry'
import { PREVIEW_DECODERS_FOLDER } from './preview-decoder-shelf'

/**
 * Hub downloads for the app: runs the engine's `downloadModel` into `<data folder>/models/`,
 * turns its events into `download:update` events (progress at most a few times a second), and
 * adds each finished model to the library as a downloaded model. A known TAESD preview decoder
 * (main/hub/known-preview-decoders.ts) goes to `<data folder>/preview-decoders/` instead: only its
 * `vae_decoder/` is fetched, and once done the models of its family preview with it. Starting a repository again
 * resumes its partial files. The access token is handed to the download and nowhere else: it
 * is not kept in the summary, the events, the library or any log.
 */

/** How the downloads panel names each curated family. */
const FAMILY_LABELS: Readonly<Record<KnownModelFamily, string>> = {
  sd1: 'SD 1.x',
  sd2: 'SD 2.x',
  'sd-turbo': 'SD-Turbo',
  sdxl: 'SDXL',
  'sdxl-turbo': 'SDXL-Turbo'
}

/** Minimum time between two progress events of one download. */
const PROGRESS_EVERY_MS = 250

/** Downloads kept in the list after they end (newest first). */
const KEEP_ENDED = 50

interface Running {
  summary: DownloadSummary
  controller: AbortController
  settled: Promise<void>
  lastProgress: number
}

/** Options of {@link DownloadManager}. */
export interface DownloadManagerOptions {
  /** Downloads go to `<dataDir>/models/<owner>--<name>[--<revision>]`. */
  dataDir: string
  models: ModelRegistry
  events: EventHub
  /** Where `HF_ENDPOINT` is read from (tests point it at the test hub); default process.env. */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * The app's downloads; see the file comment. main/api states what it needs of them as its
 * `DownloadService` (checked where main/index.ts and main/server.ts pass this in).
 */
export class DownloadManager {
  private readonly downloads: Running[] = []

  constructor(private readonly options: DownloadManagerOptions) {}

  known(): KnownModelInfo[] {
    const models = KNOWN_ONNX_MODELS.map((m) => ({
      kind: 'model' as const,
      key: m.key,
      name: m.name,
      repo: m.repo,
      revision: m.revision,
      familyLabel: FAMILY_LABELS[m.family],
      precision: m.precision satisfies ModelPrecision,
      approxDownloadGB: m.approxDownloadGB,
      requiresProvider: m.requiresProvider ?? null,
      note: m.note
    }))
    const decoders = KNOWN_PREVIEW_DECODERS.map((d) => ({
      kind: 'preview-decoder' as const,
      previewFamilies: [...d.families],
      key: d.key,
      name: d.name,
      repo: d.repo,
      revision: d.revision,
      familyLabel: d.families.map((f) => FAMILY_LABELS[f]).join(' / '),
      precision: 'fp32' as const,
      approxDownloadGB: d.approxDownloadMB / 1000,
      requiresProvider: null,
      note: d.note
    }))
    return [...models, ...decoders]
  }

  list(): DownloadSummary[] {
    return this.downloads.map((d) => ({ ...d.summary }))
  }

  async start(request: DownloadRequest): Promise<DownloadSummary> {
    const revision = request.revision ?? 'main'
    const busy = this.downloads.find(
      (d) =>
        d.summary.state === 'running' &&
        d.summary.repo === request.repo &&
        d.summary.revision === revision
    )
    if (busy !== undefined) {
      throw new StepwiseError(
        'conflict',
        `${request.repo}@${revision} is already downloading (${busy.summary.id})`
      )
    }
    const decoder = findKnownPreviewDecoder(request.repo) !== undefined
    const folder = decoder ? PREVIEW_DECODERS_FOLDER : 'models'
    const summary: DownloadSummary = {
      id: `dl-${randomBytes(6).toString('hex')}`,
      kind: decoder ? 'preview-decoder' : 'model',
      repo: request.repo,
      revision,
      dest: join(this.options.dataDir, folder, defaultFolderName(request.repo, revision)),
      state: 'running',
      doneBytes: 0,
      totalBytes: null,
      bytesPerSecond: null,
      etaSeconds: null,
      currentFile: null
    }
    const controller = new AbortController()
    const entry: Running = { summary, controller, settled: Promise.resolve(), lastProgress: 0 }
    entry.settled = this.run(entry, request.token)
    this.downloads.unshift(entry)
    this.trim()
    this.emit(entry)
    return { ...summary }
  }

  /** Removes an ended download from the list; a running one must be cancelled first. */
  dismiss(id: string): void {
    const entry = this.find(id)
    if (entry.summary.state === 'running') {
      throw new StepwiseError(
        'conflict',
        `${entry.summary.repo} is still downloading; cancel it first`
      )
    }
    this.downloads.splice(this.downloads.indexOf(entry), 1)
  }

  /** Aborts a running download and answers once it has stopped (an ended one: as it is). */
  async cancel(id: string): Promise<DownloadSummary> {
    const entry = this.find(id)
    entry.controller.abort()
    await entry.settled
    return { ...entry.summary }
  }

  async close(): Promise<void> {
    for (const d of this.downloads) d.controller.abort()
    await Promise.all(this.downloads.map((d) => d.settled))
  }

  private find(id: string): Running {
    const entry = this.downloads.find((d) => d.summary.id === id)
    if (entry === undefined)
      throw new StepwiseError('not-found', `no download ${JSON.stringify(id)}`)
    return entry
  }

  private async run(entry: Running, token: string | undefined): Promise<void> {
    const s = entry.summary
    try {
      const result = await downloadModel({
        repo: s.repo,
        revision: s.revision,
        dest: s.dest,
        ...(token === undefined || token === '' ? {} : { accessToken: token }),
        env: this.options.env ?? process.env,
        signal: entry.controller.signal,
        onEvent: (event) => this.onEvent(entry, event),
        contents: s.kind === 'preview-decoder' ? 'preview-decoder' : 'pipeline'
      })
      const added =
        s.kind === 'preview-decoder'
          ? {
              previewFor: (await this.options.models.list())
                .filter((m) => m.previews.decoder?.path === result.dest)
                .map((m) => m.id)
            }
          : {
              modelId: (
                await this.options.models.add(result.dest, {
                  source: 'downloaded',
                  repo: result.repo,
                  revision: result.revision
                })
              ).id
            }
      Object.assign(s, {
        state: 'done',
        ...added,
        doneBytes: result.totalBytes,
        totalBytes: result.totalBytes,
        etaSeconds: 0,
        currentFile: null
      })
      this.options.events.emit({ type: 'models:changed' })
    } catch (error) {
      const aborted = error instanceof HubError && error.code === 'aborted'
      s.state = aborted ? 'cancelled' : 'failed'
      s.message = aborted
        ? 'cancelled; partial files are kept, and starting it again resumes them'
        : error instanceof Error
          ? error.message
          : String(error)
      s.currentFile = null
      s.bytesPerSecond = null
      s.etaSeconds = null
    }
    delete s.retry
    this.emit(entry)
  }

  private onEvent(entry: Running, event: DownloadEvent): void {
    const s = entry.summary
    switch (event.type) {
      case 'plan':
        s.totalBytes = event.totalBytes
        s.doneBytes = event.alreadyDoneBytes
        this.emit(entry)
        return
      case 'file-start':
        s.currentFile = event.path
        this.emit(entry)
        return
      case 'retry':
        // Said as it happens: a download waiting out a backoff must not look frozen.
        s.retry = {
          attempt: event.retry,
          of: event.retries,
          reason: event.reason,
          at: Date.now() + event.delayMs
        }
        this.emit(entry)
        return
      case 'progress': {
        delete s.retry
        Object.assign(s, {
          doneBytes: event.doneBytes,
          totalBytes: event.totalBytes,
          bytesPerSecond: event.bytesPerSecond,
          etaSeconds: event.etaSeconds,
          currentFile: event.path
        })
        const now = Date.now()
        if (now - entry.lastProgress >= PROGRESS_EVERY_MS) {
          entry.lastProgress = now
          this.emit(entry)
        }
        return
      }
      default:
        return
    }
  }

  private emit(entry: Running): void {
    this.options.events.emit({ type: 'download:update', download: { ...entry.summary } })
  }

  private trim(): void {
    const ended = this.downloads.filter((d) => d.summary.state !== 'running')
    for (const d of ended.slice(KEEP_ENDED)) this.downloads.splice(this.downloads.indexOf(d), 1)
  }
}
