import { HubApiError, listFiles, modelInfo } from '@huggingface/hub'
import { describeError, HubError, isAbortError } from './hub-error'
import type { FetchLike } from './hub-fetch'
import { isRetryableStatus, withRetries, type RetryNotice, type RetryPolicy } from './retry-policy'

/** One file of a repository at a commit, as the Hub's tree API lists it. */
export interface RepoFile {
  /** Path inside the repository, `/`-separated. */
  path: string
  /** Size in bytes of the real content (for LFS files, of the LFS object). */
  size: number
  /** sha256 of the content, lowercase hex: the LFS object id. Null for files kept in git. */
  sha256: string | null
  /** Git blob id (sha1 of `blob <size>\0<content>`) for files kept in git; null for LFS files. */
  gitOid: string | null
}

/** A repository revision pinned to its commit, with every file. */
export interface RepoListing {
  repo: string
  /** The revision asked for (branch, tag, commit). */
  revision: string
  /** The commit it resolved to; every file is then fetched at this commit. */
  commit: string
  files: RepoFile[]
}

/** What {@link fetchRepoListing} needs. */
export interface RepoListingOptions {
  repo: string
  revision: string
  endpoint: string
  fetch: FetchLike
  retry: RetryPolicy
  hasToken: boolean
  signal?: AbortSignal
  onRetry?: (notice: RetryNotice) => void
  /** For redacting server-provided text. */
  secret?: string
}

const SHA1 = /^[0-9a-f]{40}$/
const SHA256 = /^[0-9a-f]{64}$/

/**
 * Resolves `revision` to a commit (`GET /api/models/{repo}/revision/{rev}`) and lists the files
 * at that commit (`GET /api/models/{repo}/tree/{commit}?recursive=true`, paginated), through
 * `@huggingface/hub`. Pinning the commit first means a branch that moves mid-download cannot mix
 * files of two commits. Transient failures are retried; HTTP errors become {@link HubError}s.
 */
export async function fetchRepoListing(options: RepoListingOptions): Promise<RepoListing> {
  const { repo, revision, endpoint, signal } = options
  // The library has no AbortSignal parameter; its requests go through this fetch, which adds one.
  const fetchWithSignal: typeof fetch = (input, init) =>
    options.fetch(input, { ...init, signal: signal ?? null })
  const call = <T>(what: string, run: () => Promise<T>): Promise<T> =>
    withRetries(
      async () => {
        try {
          return await run()
        } catch (error) {
          throw toHubError(error, what, options)
        }
      },
      {
        policy: options.retry,
        isRetryable: (e) => e instanceof HubError && e.code === 'network',
        describe: (e) => describeError(e, options.secret),
        onRetry: options.onRetry,
        signal
      }
    ).catch((error: unknown) => {
      if (error instanceof HubError && error.code === 'network') {
        throw new HubError(
          'network',
          `${error.message} (gave up after ${options.retry.retries + 1} attempts)`,
          { status: error.status, cause: error }
        )
      }
      throw error
    })

  const info = await call('model info', () =>
    modelInfo({
      name: repo,
      revision,
      hubUrl: endpoint,
      additionalFields: ['sha'],
      fetch: fetchWithSignal
    })
  )
  const commit = typeof info.sha === 'string' ? info.sha : ''
  if (!SHA1.test(commit)) {
    throw new HubError(
      'invalid-listing',
      `the Hub did not say which commit ${repo}@${revision} is (got ${JSON.stringify(info.sha)})`
    )
  }

  const files = await call('file listing', async () => {
    const out: RepoFile[] = []
    for await (const entry of listFiles({
      repo,
      revision: commit,
      recursive: true,
      hubUrl: endpoint,
      fetch: fetchWithSignal
    })) {
      if (entry.type !== 'file') continue
      out.push(toRepoFile(entry))
    }
    return out
  })
  return { repo, revision, commit, files }
}

/** The fields of a tree entry the download reads. */
export interface TreeEntry {
  path: string
  size: number
  oid?: string
  lfs?: { oid: string; size: number }
  xetHash?: string
}

/**
 * A tree entry as a {@link RepoFile}. An LFS file is checked by its sha256; a git file by its
 * blob id. A Xet-stored file listed without `lfs` gets neither: its `oid` is the blob id of a
 * pointer, not of the content, so only its size can be checked.
 */
export function toRepoFile(entry: TreeEntry): RepoFile {
  const size = entry.lfs?.size ?? entry.size
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new HubError(
      'invalid-listing',
      `the listing gives ${entry.path} an invalid size (${size})`
    )
  }
  if (entry.lfs !== undefined) {
    const sha256 = entry.lfs.oid.toLowerCase()
    if (!SHA256.test(sha256)) {
      throw new HubError(
        'invalid-listing',
        `the listing gives ${entry.path} an LFS id that is not a sha256 (${JSON.stringify(entry.lfs.oid)})`
      )
    }
    return { path: entry.path, size, sha256, gitOid: null }
  }
  const oid = entry.xetHash === undefined ? (entry.oid?.toLowerCase() ?? null) : null
  return {
    path: entry.path,
    size,
    sha256: null,
    gitOid: oid !== null && SHA1.test(oid) ? oid : null
  }
}

function toHubError(error: unknown, what: string, options: RepoListingOptions): unknown {
  if (error instanceof HubError || isAbortError(error, options.signal)) return error
  const target = `${options.repo}@${options.revision}`
  if (error instanceof HubApiError) {
    const status = error.statusCode
    if (status === 401 || status === 403) {
      return new HubError(
        'unauthorized',
        `${target}: this repository needs an access token (or yours lacks access)${
          options.hasToken ? '' : '; none was given'
        }`,
        { status }
      )
    }
    if (status === 404) {
      return new HubError(
        'not-found',
        `${target}: repository or revision not found${
          options.hasToken ? '' : ' (a private repository also needs an access token)'
        }`,
        { status }
      )
    }
    const code = isRetryableStatus(status) ? 'network' : 'http'
    return new HubError(code, `${target}: the Hub answered ${status} to the ${what} request`, {
      status
    })
  }
  if (error instanceof SyntaxError) {
    return new HubError('http', `${target}: the ${what} answer is not valid JSON`)
  }
  // fetch rejects with a TypeError for refused connections, resets and DNS failures.
  return new HubError(
    'network',
    `${target}: ${what} failed: ${describeError(error, options.secret)}`
  )
}
