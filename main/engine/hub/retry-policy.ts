/** Bounded retries with exponential backoff for transient failures (5xx, 429, dropped connections). */
export interface RetryOptions {
  /** Retries after the first attempt (so `retries + 1` attempts in all). Default 5. */
  retries?: number
  /** Delay before the first retry, doubled for each further one. Default 1000 ms. */
  minDelayMs?: number
  /** Cap on one delay. Default 30 000 ms. */
  maxDelayMs?: number
}

/** {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>

/** Fills in the defaults and checks the numbers. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = {
    retries: options.retries ?? 5,
    minDelayMs: options.minDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 30_000
  }
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`retry.${key} must be a finite number >= 0 (got ${value})`)
    }
  }
  return policy
}

/**
 * The wait before retry number `retry` (1-based): min·2^(retry−1), capped, with up to 20 %
 * random jitter subtracted so that several clients cut off together do not return in lockstep.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, retry - 1))
  return Math.round(base * (1 - 0.2 * random()))
}

/** HTTP statuses worth retrying: server errors, rate limiting, request timeout. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** What {@link withRetries} reports before it waits. */
export interface RetryNotice {
  /** 1-based number of the retry about to happen. */
  retry: number
  retries: number
  delayMs: number
  /** Why the last attempt failed. */
  reason: string
}

/**
 * Runs `attempt` until it succeeds, fails with an error `isRetryable` rejects, or the retries
 * run out (then the last error is thrown). An abort during a wait rejects at once.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: {
    policy: RetryPolicy
    isRetryable: (error: unknown) => boolean
    describe: (error: unknown) => string
    onRetry?: (notice: RetryNotice) => void
    signal?: AbortSignal
  }
): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await attempt()
    } catch (error) {
      if (options.signal?.aborted === true) throw error
      if (retry > options.policy.retries || !options.isRetryable(error)) throw error
      const delayMs = backoffDelay(options.policy, retry)
      options.onRetry?.({
        retry,
        retries: options.policy.retries,
        delayMs,
        reason: options.describe(error)
      })
      await sleep(delayMs, options.signal)
    }
  }
}
