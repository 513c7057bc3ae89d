/** Lets tests replace the process's Ctrl-C handling; see `generateCommand` (generate-command.ts). */
export interface InterruptSource {
  /** Calls `handler` on each Ctrl-C; returns the function that stops listening. */
  onInterrupt(handler: () => void): () => void
}

/** Ctrl-C as the process receives it (SIGINT). */
export const processInterrupts: InterruptSource = {
  onInterrupt(handler) {
    process.on('SIGINT', handler)
    return () => process.off('SIGINT', handler)
  }
}
