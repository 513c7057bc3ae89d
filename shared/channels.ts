/**
 * Operation and channel names shared by the preload bridge, the main-process handlers and the
 * browser-mode server. Kept free of runtime dependencies because the sandboxed preload can only
 * bundle plain code (it cannot `require` npm packages).
 */

/** Every operation of {@link import('./contract').StepwiseApi}, in a stable order. */
export const OPERATION_NAMES = ['getCapabilities'] as const

/** An operation name of the API. */
export type OperationName = (typeof OPERATION_NAMES)[number]

/** The IPC channel that carries one operation in Electron. */
export function channelFor(operation: OperationName): string {
  return `stepwise:${operation}`
}

/** The IPC channel on which main pushes {@link import('./contract').StepwiseEvent}s. */
export const EVENT_CHANNEL = 'stepwise:event'

/** Is `name` one of the API's operations? */
export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && (OPERATION_NAMES as readonly string[]).includes(name)
}
