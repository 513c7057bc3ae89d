import { describe, expect, it } from 'vitest'
import type { DownloadSummary } from '../contract'
import { describeDownload, formatEta } from './download-progress'

const base: DownloadSummary = {
  id: 'dl-1',
  repo: 'a/b',
  revision: 'main',
  dest: '/d',
  state: 'running',
  doneBytes: 1_200_000_000,
  totalBytes: 4_300_000_000,
  bytesPerSecond: 35_000_000,
  etaSeconds: 90,
  currentFile: 'unet/model.onnx_data'
}

describe('download progress text', () => {
  it('shows bytes, rate and ETA while running, the outcome afterwards', () => {
    expect(describeDownload(base)).toBe('1.2 GB of 4.3 GB · 35 MB/s · 1 min 30 s left')
    expect(describeDownload({ ...base, totalBytes: null })).toBe('listing the repository…')
    expect(
      describeDownload({ ...base, state: 'done', doneBytes: 4_300_000_000, modelId: 'a--b' })
    ).toBe('done: 4.3 GB, in the library as a--b')
    expect(
      describeDownload({
        ...base,
        kind: 'preview-decoder',
        state: 'done',
        totalBytes: 4_915_000,
        previewFor: ['sd15', 'sd21']
      })
    ).toBe('done: 4.9 MB, tiny previews for sd15, sd21')
    expect(describeDownload({ ...base, state: 'failed', message: 'repository not found' })).toBe(
      'repository not found'
    )
  })

  it('formats ETAs', () => {
    expect(formatEta(45.4)).toBe('45 s')
    expect(formatEta(185)).toBe('3 min 05 s')
    expect(formatEta(3720)).toBe('1 h 02 min')
  })
})
