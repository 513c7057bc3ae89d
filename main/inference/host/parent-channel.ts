import type { InferenceCommand, InferenceMessage } from '../protocol'

/**
 * The inference process's line to main, whichever way it was started: Electron's
 * `utilityProcess.fork` gives the child `process.parentPort` (messages arrive as
 * `{ data }` events), Node's `child_process.fork` gives it `process.send` and `'message'`.
 * Both carry structured clones, so the code above this adapter is the same in both.
 */
export interface ParentChannel {
  /** Which transport was found (diagnostics and tests). */
  readonly kind: 'utility-process' | 'fork'
  /** Sends a message; `sent` is called once it has left this process (or could not). */
  send(message: InferenceMessage, sent?: () => void): void
  onCommand(handler: (command: InferenceCommand) => void): void
  /** Called when main goes away (fork only: a utility process is ended by Electron itself). */
  onParentGone(handler: () => void): void
}

/** Electron's `process.parentPort` in a utility process (not in Node's typings). */
interface ParentPortLike {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
}

/** Finds the transport this process was started with; throws when there is none. */
export function openParentChannel(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort
  if (parentPort !== undefined) {
    return {
      kind: 'utility-process',
      send: (message, sent) => {
        parentPort.postMessage(message)
        // postMessage queues the message on Electron's own channel; give it a turn to leave.
        if (sent !== undefined) setTimeout(sent, 50)
      },
      onCommand: (handler) => parentPort.on('message', (event) => handler(event.data as never)),
      onParentGone: () => undefined
    }
  }
  const send = process.send?.bind(process)
  if (send === undefined) {
    throw new Error(
      'the inference process must be started as a child process (utilityProcess.fork or child_process.fork with an IPC channel)'
    )
  }
  return {
    kind: 'fork',
    send: (message, sent) => {
      if (!process.connected) {
        sent?.()
        return
      }
      try {
        send(message, undefined, undefined, () => sent?.())
      } catch {
        // Main closed the channel while this message was on its way; nobody is listening.
        sent?.()
      }
    },
    onCommand: (handler) =>
      process.on('message', (command) => handler(command as InferenceCommand)),
    onParentGone: (handler) => process.on('disconnect', handler)
  }
}
