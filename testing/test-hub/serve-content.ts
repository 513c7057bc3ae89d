import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Fault } from './fault-rules'
import type { SnapshotFile } from './repo-snapshot'

/** Byte range of a single-range request, inclusive; null when there is no usable Range header. */
export function parseRange(
  header: string | undefined,
  size: number
): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null) return null // multi-range or another unit: serve the whole file, as servers may
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return null
  let start: number
  let end: number
  if (a === '') {
    // Suffix range: the last b bytes.
    start = Math.max(0, size - Number(b))
    end = size - 1
  } else {
    start = Number(a)
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  }
  if (start >= size || start > end) return 'unsatisfiable'
  return { start, end }
}

/**
 * Sends a file (or the requested range of it) the way the Hub and its CDN do — `Accept-Ranges`,
 * 206 with `Content-Range` — with the body fault, if any, applied: a cut or stall after K bytes,
 * an ignored or wrong range, a flipped byte.
 */
export function serveContent(
  req: IncomingMessage,
  res: ServerResponse,
  file: SnapshotFile,
  headers: Record<string, string>,
  fault: Fault | null
): void {
  let range = parseRange(req.headers.range, file.size)
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}` })
    res.end()
    return
  }
  if (fault?.kind === 'ignore-range') range = null
  let content = file.content
  if (fault?.kind === 'corrupt' && content.length > 0) {
    content = Buffer.from(content)
    const at = Math.floor(content.length / 2)
    content[at] = (content[at] ?? 0) ^ 0xff
  }
  let body: Buffer
  if (range === null) {
    body = content
    res.writeHead(200, { ...headers, 'Content-Length': String(body.length) })
  } else {
    // A broken proxy: claims a 206 but sends the file from the start.
    const start = fault?.kind === 'wrong-range' ? 0 : range.start
    const end = fault?.kind === 'wrong-range' ? file.size - 1 : range.end
    body = content.subarray(start, end + 1)
    res.writeHead(206, {
      ...headers,
      'Content-Length': String(body.length),
      'Content-Range': `bytes ${start}-${end}/${file.size}`
    })
  }
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  if (fault?.kind === 'cut' || fault?.kind === 'stall') {
    const head = body.subarray(0, Math.min(fault.afterBytes, body.length))
    res.write(head, () => {
      // end(), not destroy(): a FIN after the queued bytes, so all K bytes reach the client
      // before it sees the connection close short of Content-Length.
      if (fault.kind === 'cut') res.socket?.end()
      // A stall leaves the response open; the server's close() destroys the socket.
    })
    return
  }
  res.end(body)
}
