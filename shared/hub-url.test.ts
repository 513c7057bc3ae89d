import { describe, expect, it } from 'vitest'
import { DownloadRequestSchema } from './contract'
import { parseHubUrl } from './hub-url'

describe('parseHubUrl', () => {
  it('reads the repository and revision of pasted Hub page URLs', () => {
    expect(parseHubUrl('https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX')).toEqual(
      {
        repo: 'onnx-community/stable-diffusion-v1-5-ONNX'
      }
    )
    expect(parseHubUrl('  https://huggingface.co/stabilityai/sd-turbo/tree/fp16 ')).toEqual({
      repo: 'stabilityai/sd-turbo',
      revision: 'fp16'
    })
    expect(parseHubUrl('huggingface.co/a/b/blob/main/model_index.json')).toEqual({
      repo: 'a/b',
      revision: 'main'
    })
    expect(parseHubUrl('https://hf.co/a/b.git')).toEqual({ repo: 'a/b' })
    expect(parseHubUrl('https://huggingface.co/a/b/tree/refs%2Fpr%2F3')).toEqual({
      repo: 'a/b',
      revision: 'refs/pr/3'
    })
  })

  it('leaves everything else alone', () => {
    expect(parseHubUrl('owner/name')).toBeNull()
    expect(parseHubUrl('https://example.com/a/b')).toBeNull()
    expect(parseHubUrl('https://huggingface.co/datasets/a/b')).toBeNull()
    expect(parseHubUrl('https://huggingface.co/a')).toBeNull()
  })

  it('lets startDownload take a pasted URL (its revision unless one is given)', () => {
    expect(DownloadRequestSchema.parse({ repo: 'https://huggingface.co/a/b/tree/fp16' })).toEqual({
      repo: 'a/b',
      revision: 'fp16'
    })
    expect(
      DownloadRequestSchema.parse({
        repo: 'https://huggingface.co/a/b/tree/fp16',
        revision: 'main'
      })
    ).toEqual({ repo: 'a/b', revision: 'main' })
  })
})
