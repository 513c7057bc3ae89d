/**
 * Wraps an async call so that at most one is in flight and, of the calls requested meanwhile,
 * only the newest runs next. Used for the CFG-cutoff slider: dragging fires many changes, and
 * only the last position matters to the inference process.
 */
export function latestWinsCaller<A, R>(
  call: (arg: A) => Promise<R>,
  onResult: (result: R, arg: A) => void,
  onError: (error: unknown, arg: A) => void
): (arg: A) => void {
  let inFlight = false
  let waiting: { arg: A } | null = null

  const run = async (arg: A): Promise<void> => {
    inFlight = true
    try {
      onResult(await call(arg), arg)
    } catch (error) {
      onError(error, arg)
    } finally {
      inFlight = false
      const next = waiting
      waiting = null
      if (next !== null) void run(next.arg)
    }
  }

  return (arg: A) => {
    if (inFlight) waiting = { arg }
    else void run(arg)
  }
}
