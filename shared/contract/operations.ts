import type { CfgCutoff, CfgInterval, GenerateParamsInput } from '../params'
import type { DownloadRequest, DownloadSummary, KnownModelInfo } from './downloads'
import type { StepwiseEvent } from './events'
import type { HistoryEntry, HistoryImageRequest, HistoryListing, InputImageInfo } from './history'
import type { CfgCutoffState, JobSummary, JobTicket, LiveJobSnapshot, RunPlanSummary } from './jobs'
import type { ModelInfo, ModelLibraryListing, ModelSummary } from './models'
import type { Capabilities, InferenceStatus } from './system'

/**
 * The operations of the API with what each does and how each fails, and the API as a renderer
 * sees it (operations plus events).
 */

/** How long a text is in a model's tokens (`countTokens`). */
export interface TokenCount {
  /** Tokens of the text, the start and end tokens included. */
  tokens: number
  /** The most the text encoder reads (`model_max_length`: 77 for CLIP); more is cut off. */
  limit: number
}

/** The form's values as the renderer saved them (`saveFormState`): plain text, numbers, flags. */
export type FormStateRecord = Record<string, string | number | boolean>

/** The operations; each returns a promise because each crosses a process boundary. */
export interface StepwiseOperations {
  getCapabilities(): Promise<Capabilities>
  /** Usable models: the app's own, then the user's library. */
  listModels(): Promise<ModelSummary[]>
  /** Usable models and the folders that could not be used (with the specific reason). */
  modelLibrary(): Promise<ModelLibraryListing>
  /**
   * Checks a folder the user chose and adds it to the library (remembered between runs); an
   * already listed folder returns its entry. Errors: invalid-argument (not a usable model: which
   * file is missing, which input or dtype is unexpected, which pipeline is not supported yet).
   */
  addModel(path: string): Promise<ModelSummary>
  /** Forgets a library entry; its files stay. Errors: not-found, invalid-argument (built in). */
  removeModel(id: string): Promise<void>
  /** Graphs, layout and warnings of one model. Errors: not-found, invalid-argument. */
  modelInfo(id: string): Promise<ModelInfo>
  /**
   * Electron: the OS folder dialog; resolves the chosen folder or null when cancelled.
   * Browser mode has no dialog: errors with unavailable (type the path instead).
   */
  pickModelFolder(): Promise<string | null>
  /** The curated ONNX exports on the Hugging Face Hub. */
  knownModels(): Promise<KnownModelInfo[]>
  /**
   * Starts downloading a Hub repository's ONNX pipeline into the data folder (resuming an
   * earlier partial download of the same repository); progress comes as `download:update`
   * events, and a finished model joins the library. Errors: invalid-argument, conflict (the
   * same repository is already downloading).
   */
  startDownload(request: DownloadRequest): Promise<DownloadSummary>
  /** Stops a running download; partial files stay for a resume. Errors: not-found. */
  cancelDownload(id: string): Promise<DownloadSummary>
  /** Removes an ended download from the list (a running one: conflict). Errors: not-found. */
  dismissDownload(id: string): Promise<void>
  /** Downloads of this run, newest first. */
  listDownloads(): Promise<DownloadSummary[]>
  /** Memory of the inference process and the loaded model. */
  inferenceStatus(): Promise<InferenceStatus>
  /**
   * What `generate` with these parameters would run, without queueing it: T and where guidance
   * ends. Validates as `generate` does. Errors: invalid-argument (bad value, unknown model).
   */
  planRun(params: GenerateParamsInput): Promise<RunPlanSummary>
  /**
   * Validates against the schema and the chosen model, draws the seed if it is null, and queues
   * the job. Errors: invalid-argument (bad value, unknown model), unavailable (queue full).
   */
  generate(params: GenerateParamsInput): Promise<JobTicket>
  /**
   * Running job: interrupt at the next step boundary (state stays, `stopping` becomes true,
   * then `stopped` with the decoded image). Queued job: cancel it. Ended job: no change.
   * Errors: not-found.
   */
  stop(jobId: string): Promise<JobSummary>
  /**
   * Running job: "stop now" — ends the inference process in the middle of the step, so the job
   * ends as `stopped` at once (within 500 ms whatever the step time) at the last finished step,
   * its message saying which. That step's image comes afterwards (`job:done`, after the terminal
   * state for this kind of stop), once a fresh process has decoded it; the model then reloads in
   * the background before the next job. No finished step: stopped with no image. Queued or
   * ended job: as `stop`. Errors: not-found.
   */
  stopNow(jobId: string): Promise<JobSummary>
  /**
   * Running job: moves the live cutoff; refused with `conflict` (saying why) once the cutoff
   * step has been reached, because guidance cannot come back. Queued job: replaces its
   * parameter. Errors: not-found, conflict (ended, or cutoff reached).
   */
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): Promise<CfgCutoffState>
  /**
   * Running job: moves the guidance interval; a bound whose step has been reached is refused
   * with `conflict` (guidance started: the start stays; ended: the end stays). Queued job:
   * replaces its parameter. Errors: not-found, conflict, invalid-argument.
   */
  setCfgInterval(jobId: string, interval: CfgInterval | null): Promise<CfgCutoffState>
  /**
   * Running job: the guidance scale from the next step on (recorded per step). Refused with
   * `conflict` for a run without guidance rows (it started at guidance ≤ 1). Queued job:
   * replaces its parameter. Errors: not-found, conflict, invalid-argument.
   */
  setGuidanceScale(jobId: string, guidanceScale: number): Promise<CfgCutoffState>
  /** The running job first, then waiting ones in order. */
  listJobs(): Promise<JobSummary[]>
  /**
   * The running job with its steps so far and newest preview, for a page that connects (or
   * reloads) mid-run; null when nothing runs.
   */
  liveJob(): Promise<LiveJobSnapshot | null>
  /** How many tokens `text` is for the model's tokenizer, and its limit. Errors: invalid-argument. */
  countTokens(modelId: string, text: string): Promise<TokenCount>
  historyList(): Promise<HistoryListing>
  /** Errors: not-found. */
  historyGet(id: string): Promise<HistoryEntry>
  /** Removes the entry, its image and kept previews. Errors: not-found, failed (disk). */
  historyDelete(id: string): Promise<void>
  /** PNG bytes (the final image carries the A1111 `parameters` chunk). Errors: not-found. */
  historyImage(request: HistoryImageRequest): Promise<Uint8Array>
  /**
   * Electron: shows the entry's PNG in the system's file manager. Browser mode has no file
   * manager to open: errors with unavailable. Errors: not-found.
   */
  showHistoryFile(id: string): Promise<void>
  /** The form as it was last saved (kept across reloads and restarts), or null. */
  loadFormState(): Promise<FormStateRecord | null>
  /** Saves the form's values in the data folder. */
  saveFormState(state: FormStateRecord): Promise<void>
  /**
   * Stores an input picture or mask (PNG or JPEG bytes) in the history folder, once per content;
   * `generate`'s `initImage` / `maskImage` name it by the returned id.
   */
  putInputImage(bytes: Uint8Array): Promise<InputImageInfo>
  /** A stored input picture as PNG bytes. */
  inputImage(imageId: string): Promise<Uint8Array>
}

/** The API as a renderer sees it: the operations plus the event subscription. */
export interface StepwiseApi extends StepwiseOperations {
  /** Subscribes to main's events; returns the unsubscribe function. */
  onEvent(listener: (event: StepwiseEvent) => void): () => void
}
