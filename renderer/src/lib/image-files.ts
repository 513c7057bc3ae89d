/**
 * Saving and copying a result, as a browser allows it: a download of the PNG (Electron asks
 * where to save it), and the PNG on the clipboard.
 */

/** The file name a result is saved under: `stepwise-<seed>.png`, as the CLI names it. */
export function resultFileName(seed: number, batchIndex?: number): string {
  return batchIndex === undefined || batchIndex === 0
    ? `stepwise-${seed}.png`
    : `stepwise-${seed}-${batchIndex + 1}.png`
}

/** Starts a download of `blob` as `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  // The download has its own copy once it started; the URL is not needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Puts a PNG on the clipboard; throws with the browser's reason when it refuses. */
export async function copyPngBlob(blob: Blob): Promise<void> {
  if (typeof ClipboardItem === 'undefined' || navigator.clipboard?.write === undefined) {
    throw new Error('this browser cannot copy images; use Save instead')
  }
  const png = blob.type === 'image/png' ? blob : new Blob([blob], { type: 'image/png' })
  await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })])
}
