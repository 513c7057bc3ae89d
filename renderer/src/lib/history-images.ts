import type { HistoryImageRequest, StepwiseApi } from '../contract'

/**
 * Blob URLs of history pictures, fetched once through `historyImage` and shared by every
 * thumbnail and detail view that shows them. The CSP allows `img-src blob:` for exactly this.
 */
const urls = new Map<string, Promise<string>>()

function keyOf(request: HistoryImageRequest): string {
  return `${request.id}:${request.step ?? 'final'}`
}

/** The blob URL of a stored picture (fetched on first use). */
export function historyImageUrl(api: StepwiseApi, request: HistoryImageRequest): Promise<string> {
  const key = keyOf(request)
  let url = urls.get(key)
  if (url === undefined) {
    url = api.historyImage(request).then((bytes) => {
      // Copy into a plain ArrayBuffer-backed array: a Blob part may not be a shared buffer view.
      return URL.createObjectURL(new Blob([bytes.slice()], { type: 'image/png' }))
    })
    // A failed fetch must not stick: the next view of this picture tries again.
    url.catch(() => urls.delete(key))
    urls.set(key, url)
  }
  return url
}

/** Revokes and forgets every picture of a deleted entry. */
export function forgetHistoryImages(id: string): void {
  for (const [key, url] of urls) {
    if (!key.startsWith(`${id}:`)) continue
    urls.delete(key)
    url.then((u) => URL.revokeObjectURL(u)).catch(() => undefined)
  }
}

/** The stored PNG of a history entry (with its parameters chunk), for saving and copying. */
export async function historyImageBlob(api: StepwiseApi, id: string): Promise<Blob> {
  const bytes = await api.historyImage({ id })
  return new Blob([bytes.slice()], { type: 'image/png' })
}
