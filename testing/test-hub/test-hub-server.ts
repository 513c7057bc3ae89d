import { createHmac, randomBytes } from 'node:crypto'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FaultRules, type Fault, type Route } from './fault-rules'
import { modelInfoBody, treeEntries } from './hub-api-shapes'
import { loadSnapshot, type RepoSnapshot, type SnapshotFile } from './repo-snapshot'
import { serveContent } from './serve-content'

/** A repository the test hub serves. Several entries with one `repo` are its branches. */
export interface TestHubRepo {
  /** `owner/name`. */
  repo: string
  /** Branch name; default `main`. */
  revision?: string
  /** A folder whose files become the repository's files (e.g. `fixtures/models/tiny-sd-random`). */
  dir?: string
  /** Extra files by repository path (README.md, PyTorch weights, images…). */
  extraFiles?: Readonly<Record<string, Buffer | string>>
  /** Makes the repository gated: every hub route needs `Authorization: Bearer <token>`. */
  token?: string
}

/** What {@link startTestHub} takes. */
export interface TestHubOptions {
  repos: readonly TestHubRepo[]
  /** Tree entries per page before a `Link: <…>; rel="next"` header; default 1000 like the Hub. */
  pageSize?: number
  /** Port of the hub server; default 0 (any free port). The CDN always takes a free port. */
  port?: number
}

/** One request as the test hub saw it. */
export interface RecordedRequest {
  server: 'hub' | 'cdn'
  method: string
  /** Path without the query string. */
  path: string
  route: Route | 'unknown'
  range: string | null
  /** The raw Authorization header, kept so tests can check where the token went. */
  authorization: string | null
  status: number
}

/** A running test hub. */
export interface TestHub {
  /** Base URL to use as `HF_ENDPOINT`, e.g. `http://127.0.0.1:41234`. */
  endpoint: string
  /** Origin of the CDN that LFS files redirect to (another port, so another origin). */
  cdnOrigin: string
  /** Every request so far, in order. */
  readonly requests: RecordedRequest[]
  /** Arms a failure for the next matching request(s). */
  inject(fault: Fault): void
  /** Disarms every failure. */
  clearFaults(): void
  /** The snapshot served for `repo` at `revision` (default main), for expected bytes and hashes. */
  snapshot(repo: string, revision?: string): RepoSnapshot
  close(): Promise<void>
}

/**
 * Starts a stand-in for huggingface.co on 127.0.0.1: the model info and tree API endpoints,
 * `resolve` (git files served directly, LFS files redirected with 302 to a signed URL on a second
 * "CDN" server, as the Hub does), Range requests, gated repositories, and injectable faults.
 */
export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const snapshots: RepoSnapshot[] = []
  const tokens = new Map<string, string>()
  for (const r of options.repos) {
    snapshots.push(await loadSnapshot(r))
    if (r.token !== undefined) tokens.set(r.repo, r.token)
  }
  const pageSize = options.pageSize ?? 1000
  const faults = new FaultRules()
  const requests: RecordedRequest[] = []
  const signingKey = randomBytes(32)
  const sign = (sha256: string): string =>
    createHmac('sha256', signingKey).update(sha256).digest('hex')
  const blobs = new Map<string, SnapshotFile>()
  for (const s of snapshots) for (const f of s.files) if (f.lfs) blobs.set(f.sha256, f)

  const find = (repo: string, rev: string): RepoSnapshot | undefined =>
    snapshots.find((s) => s.repo === repo && (s.revision === rev || s.commit === rev))

  let hubUrl = ''
  let cdnUrl = ''

  const hub = http.createServer((req, res) => {
    const record = track('hub', req, res, requests)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const route = parseHubRoute(url.pathname)
    if (route === null) {
      sendJson(res, 404, { error: 'Not Found' })
      return
    }
    record.route = route.route
    if (!snapshots.some((s) => s.repo === route.repo)) {
      sendJson(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' })
      return
    }
    const token = tokens.get(route.repo)
    if (token !== undefined && !authorised(req, token, res, route.repo)) return
    const snapshot = find(route.repo, route.revision)
    if (snapshot === undefined) {
      sendJson(
        res,
        404,
        { error: `Invalid rev id: ${route.revision}` },
        { 'X-Error-Code': 'RevisionNotFound' }
      )
      return
    }
    const status = faults.take({ route: route.route, repo: route.repo, path: route.path }, [
      'status'
    ])
    if (status?.kind === 'status') {
      sendJson(res, status.status, { error: `Injected ${status.status}` })
      return
    }
    if (route.route === 'info') {
      sendJson(
        res,
        200,
        modelInfoBody(snapshot, token !== undefined, url.searchParams.get('blobs') === 'true')
      )
      return
    }
    if (route.route === 'tree') {
      const entries = treeEntries(
        snapshot,
        route.path,
        url.searchParams.get('recursive') === 'true'
      )
      const cursor = Number(url.searchParams.get('cursor') ?? '0')
      const page = entries.slice(cursor, cursor + pageSize)
      const headers: Record<string, string> = {}
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.toString().replace('http://127.0.0.1', hubUrl))
        next.searchParams.set('cursor', String(cursor + pageSize))
        headers.Link = `<${next.toString()}>; rel="next"`
      }
      sendJson(res, 200, page, headers)
      return
    }
    const file = snapshot.files.find((f) => f.path === route.path)
    if (file === undefined) {
      sendJson(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' })
      return
    }
    const common = { 'X-Repo-Commit': snapshot.commit, ETag: `"${file.gitOid}"` }
    if (file.lfs) {
      const location = `${cdnUrl}/repos/${file.sha256.slice(0, 2)}/${file.sha256}?sig=${sign(file.sha256)}`
      res.writeHead(302, {
        ...common,
        Location: location,
        'X-Linked-Etag': `"${file.sha256}"`,
        'X-Linked-Size': String(file.size),
        'Content-Type': 'text/plain; charset=utf-8'
      })
      res.end(`Found. Redirecting to ${location}`)
      return
    }
    const fault = faults.take({ route: 'resolve', repo: route.repo, path: file.path }, BODY_FAULTS)
    serveContent(
      req,
      res,
      file,
      { ...common, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' },
      fault
    )
  })

  const cdn = http.createServer((req, res) => {
    const record = track('cdn', req, res, requests)
    record.route = 'cdn'
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const m = /^\/repos\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(url.pathname)
    const file = m === null ? undefined : blobs.get(m[1] ?? '')
    if (file === undefined || m === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('NoSuchKey')
      return
    }
    // The CDN trusts the signed URL the hub issued, never a bearer token.
    if (url.searchParams.get('sig') !== sign(file.sha256)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('AccessDenied')
      return
    }
    const owner = snapshots.find((s) => s.files.includes(file))
    const facts = { route: 'cdn' as const, repo: owner?.repo ?? '', path: file.path }
    const status = faults.take(facts, ['status'])
    if (status?.kind === 'status') {
      res
        .writeHead(status.status, { 'Content-Type': 'text/plain' })
        .end(`Injected ${status.status}`)
      return
    }
    const fault = faults.take(facts, BODY_FAULTS)
    serveContent(
      req,
      res,
      file,
      {
        ETag: `"${file.sha256}"`,
        'Accept-Ranges': 'bytes',
        'Content-Type': 'application/octet-stream'
      },
      fault
    )
  })

  hubUrl = await listen(hub, options.port ?? 0)
  cdnUrl = await listen(cdn, 0)
  return {
    endpoint: hubUrl,
    cdnOrigin: cdnUrl,
    requests,
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    snapshot: (repo, revision = 'main') => {
      const s = find(repo, revision)
      if (s === undefined) throw new Error(`the test hub has no ${repo}@${revision}`)
      return s
    },
    close: async () => {
      await Promise.all([close(hub), close(cdn)])
    }
  }
}

const BODY_FAULTS: readonly Fault['kind'][] = [
  'cut',
  'stall',
  'ignore-range',
  'wrong-range',
  'corrupt'
]

interface HubRoute {
  route: 'info' | 'tree' | 'resolve'
  repo: string
  revision: string
  path: string
}

/** `/api/models/{o}/{n}/revision/{rev}`, `/api/models/{o}/{n}/tree/{rev}[/{path}]`, `/{o}/{n}/resolve/{rev}/{path}`. */
function parseHubRoute(pathname: string): HubRoute | null {
  const seg = pathname.split('/').slice(1)
  const dec = (s: string | undefined): string => decodeURIComponent(s ?? '')
  if (seg[0] === 'api' && seg[1] === 'models' && seg.length >= 4) {
    const repo = `${dec(seg[2])}/${dec(seg[3])}`
    if (seg.length === 4) return { route: 'info', repo, revision: 'main', path: '' }
    if (seg[4] === 'revision' && seg.length === 6)
      return { route: 'info', repo, revision: dec(seg[5]), path: '' }
    if (seg[4] === 'tree' && seg.length >= 6) {
      return { route: 'tree', repo, revision: dec(seg[5]), path: seg.slice(6).map(dec).join('/') }
    }
    return null
  }
  if (seg.length >= 5 && seg[2] === 'resolve') {
    return {
      route: 'resolve',
      repo: `${dec(seg[0])}/${dec(seg[1])}`,
      revision: dec(seg[3]),
      path: seg.slice(4).map(dec).join('/')
    }
  }
  return null
}

function authorised(
  req: IncomingMessage,
  token: string,
  res: ServerResponse,
  repo: string
): boolean {
  const header = req.headers.authorization
  if (header === undefined) {
    sendJson(
      res,
      401,
      {
        error: `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`
      },
      { 'X-Error-Code': 'GatedRepo' }
    )
    return false
  }
  if (header !== `Bearer ${token}`) {
    sendJson(
      res,
      403,
      { error: `Access to model ${repo} is restricted and you are not in the authorized list.` },
      { 'X-Error-Code': 'GatedRepo' }
    )
    return false
  }
  return true
}

function track(
  server: 'hub' | 'cdn',
  req: IncomingMessage,
  res: ServerResponse,
  requests: RecordedRequest[]
): RecordedRequest {
  const record: RecordedRequest = {
    server,
    method: req.method ?? 'GET',
    path: (req.url ?? '/').split('?')[0] ?? '/',
    route: 'unknown',
    range: req.headers.range ?? null,
    authorization: req.headers.authorization ?? null,
    status: 0
  }
  requests.push(record)
  const writeHead = res.writeHead.bind(res)
  res.writeHead = ((...args: Parameters<ServerResponse['writeHead']>) => {
    record.status = args[0]
    return writeHead(...args)
  }) as ServerResponse['writeHead']
  return record
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text))
  })
  res.end(text)
}

function listen(server: http.Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo
      resolve(`http://127.0.0.1:${actual}`)
    })
  })
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // Stalled responses never end on their own.
    server.closeAllConnections()
    server.close(() => resolve())
  })
}
