/**
 * onnxruntime reports running out of memory in its own words, from deep inside (a failed
 * `pthread_create`, `std::bad_alloc`, an arena that could not grow, CUDA's "out of memory").
 * A job that fails that way says so first, in plain words, and keeps onnxruntime's text for
 * whoever needs the detail.
 */
const OUT_OF_MEMORY =
  /cannot allocate memory|bad_alloc|failed to allocate|out of memory|ENOMEM|allocation failed/i

/** The error a failed generation reports: the engine's own, led by "out of memory" if it is. */
export function explainFailure(error: unknown): Error {
  const cause = error instanceof Error ? error : new Error(String(error))
  if (!OUT_OF_MEMORY.test(cause.message)) return cause
  return new Error(
    `out of memory: ${cause.message}. Close other programs, or choose a smaller size or model`,
    { cause }
  )
}
