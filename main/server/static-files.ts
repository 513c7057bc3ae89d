import { readFile, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2'
}

/** A file resolved inside a served folder. */
export interface StaticFile {
  body: Buffer
  contentType: string
}

/**
 * Reads `urlPath` from inside `root`, or returns null. Paths that escape the folder (`..`,
 * encoded separators, absolute paths) are refused rather than normalised, so nothing outside
 * the renderer bundle can be served.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) {
    return null
  }
  const base = resolve(root)
  const target = resolve(base, `.${decoded === '/' ? '/index.html' : decoded}`)
  if (target !== base && !target.startsWith(base + sep)) return null
  try {
    const info = await stat(target)
    if (!info.isFile()) return null
    return {
      body: await readFile(target),
      contentType: CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream'
    }
  } catch {
    return null
  }
}
