/**
 * Operation and channel names shared by the preload bridge, the main-process handlers and the
 * browser-mode server. Kept free of runtime dependencies (no imports at all) because the
 * sandboxed preload can only bundle plain code: it cannot `require` npm packages.
 */

/** Every operation of {@link import('./contract').StepwiseOperations}, in a stable order. */
export const OPERATION_NAMES = [
  'getCapabilities',
  'listModels',
  'modelLibrary',
  'addModel',
  'removeModel',
  'modelInfo',
  'pickModelFolder',
  'knownModels',
  'startDownload',
  'cancelDownload',
  'dismissDownload',
  'listDownloads',
  'inferenceStatus',
  'planRun',
  'generate',
  'stop',
  'stopNow',
  'setCfgCutoff',
  'setCfgInterval',
  'setGuidanceScale',
  'listJobs',
  'liveJob',
  'countTokens',
  'historyList',
  'historyGet',
  'historyDelete',
  'historyImage',
  'showHistoryFile',
  'loadFormState',
  'saveFormState',
  'putInputImage',
  'inputImage'
] as const

/** An operation name of the API. */
export type OperationName = (typeof OPERATION_NAMES)[number]

/** The IPC channel that carries one operation in Electron. */
export function channelFor(operation: OperationName): string {
  return `stepwise:${operation}`
}

/** The IPC channel on which main pushes {@link import('./contract').StepwiseEvent}s. */
export const EVENT_CHANNEL = 'stepwise:event'

/**
 * The IPC channel on which the preload tells main that an event carrying a preview has reached
 * the page. Main holds back the next preview until then (latest wins), because
 * `webContents.send` itself has no back-pressure.
 */
export const EVENT_ACK_CHANNEL = 'stepwise:event-ack'

/** Is `name` one of the API's operations? */
export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && (OPERATION_NAMES as readonly string[]).includes(name)
}

/**
 * Does this event carry preview pixels? Such events are the ones delivered latest-wins (see
 * main/events/latest-wins-outbox.ts) and acknowledged by the preload. Structural on purpose so
 * the preload can call it without importing the contract's runtime code.
 */
export function carriesPreview(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false
  const record = event as { type?: unknown; preview?: unknown }
  return record.type === 'job:step' && typeof record.preview === 'object' && record.preview !== null
}
