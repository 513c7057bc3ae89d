import { describe, expect, it } from 'vitest'
import { HubError } from './hub-error'
import { selectPreviewDecoderFiles } from './preview-decoder-files'
import type { RepoFile } from './repo-listing'

function file(path: string, size = 10): RepoFile {
  return { path, size, sha256: null, gitOid: null }
}

describe('selectPreviewDecoderFiles', () => {
  it("keeps only the decoder of a TAESD export in the Hub's layout", () => {
    const selection = selectPreviewDecoderFiles(
      [
        file('.gitattributes'),
        file('README.md'),
        file('convert_to_onnx.py'),
        file('vae_decoder/model.onnx', 4_915_000),
        file('vae_decoder/config.json'),
        file('vae_decoder/model.onnx_data'),
        file('vae_encoder/model.onnx', 4_915_000),
        file('vae_decoder/nested/model.onnx')
      ],
      'deinferno/taesd-onnx@main'
    )
    expect(selection.needed.map((f) => f.path)).toEqual([
      'vae_decoder/model.onnx',
      'vae_decoder/config.json',
      'vae_decoder/model.onnx_data'
    ])
    expect(selection.skipped.map((f) => [f.path, f.reason])).toEqual([
      ['.gitattributes', 'not needed for previews'],
      ['README.md', 'not needed for previews'],
      ['convert_to_onnx.py', 'not needed for previews'],
      ['vae_encoder/model.onnx', 'not needed for previews'],
      ['vae_decoder/nested/model.onnx', 'not needed for previews']
    ])
  })

  it('refuses a repository without vae_decoder/model.onnx, naming it', () => {
    const refuse = (): unknown =>
      selectPreviewDecoderFiles(
        [file('taesd_decoder.safetensors'), file('README.md')],
        'madebyollin/taesd@main'
      )
    expect(refuse).toThrow(HubError)
    expect(refuse).toThrow(
      "madebyollin/taesd@main is not a TAESD preview decoder in the Hub's ONNX layout: it has no vae_decoder/model.onnx"
    )
  })
})
