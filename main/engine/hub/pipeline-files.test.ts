import { describe, expect, it } from 'vitest'
import { HubError } from './hub-error'
import { selectPipelineFiles } from './pipeline-files'
import type { RepoFile } from './repo-listing'

const file = (path: string, size = 10): RepoFile => ({ path, size, sha256: null, gitOid: null })

const CORE = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'tokenizer/merges.txt',
  'tokenizer/vocab.json',
  'tokenizer/special_tokens_map.json',
  'tokenizer/tokenizer_config.json',
  'text_encoder/model.onnx',
  'unet/model.onnx',
  'vae_decoder/model.onnx'
]

function select(paths: string[]): { needed: string[]; skipped: Record<string, string> } {
  const s = selectPipelineFiles(
    paths.map((p) => file(p)),
    'owner/repo@main'
  )
  return {
    needed: s.needed.map((f) => f.path).sort(),
    skipped: Object.fromEntries(s.skipped.map((f) => [f.path, f.reason]))
  }
}

describe('selectPipelineFiles', () => {
  it("keeps optimum's layout: graphs, external data, configs, tokenizers, feature extractor", () => {
    const paths = [
      ...CORE,
      'text_encoder/config.json',
      'text_encoder_2/model.onnx',
      'text_encoder_2/model.onnx_data',
      'text_encoder_2/config.json',
      'tokenizer_2/vocab.json',
      'tokenizer_2/merges.txt',
      'tokenizer/tokenizer.json',
      'unet/config.json',
      'unet/model.onnx_data',
      'vae_decoder/config.json',
      'vae_encoder/model.onnx',
      'vae_encoder/config.json',
      'feature_extractor/preprocessor_config.json'
    ]
    expect(select(paths)).toEqual({ needed: [...paths].sort(), skipped: {} })
  })

  it("keeps diffusers' legacy layout with unet/weights.pb and leaves out the safety checker", () => {
    const { needed, skipped } = select([
      ...CORE,
      'unet/weights.pb',
      'safety_checker/model.onnx',
      'feature_extractor/preprocessor_config.json'
    ])
    expect(needed).toContain('unet/weights.pb')
    expect(skipped).toEqual({
      'safety_checker/model.onnx': 'safety checker (Stepwise does not run one)'
    })
  })

  it('keeps Olive-style and per-tensor external data next to a graph', () => {
    const { needed } = select([...CORE, 'unet/model.onnx.data', 'text_encoder/onnx__MatMul_1234'])
    expect(needed).toContain('unet/model.onnx.data')
    expect(needed).toContain('text_encoder/onnx__MatMul_1234')
  })

  it('leaves out PyTorch, Flax and OpenVINO weights, images, docs and other folders', () => {
    const extras = [
      'README.md',
      '.gitattributes',
      'v1-5-pruned.ckpt',
      'sample.png',
      'unet/diffusion_pytorch_model.safetensors',
      'unet/diffusion_pytorch_model.bin',
      'unet/openvino_model.xml',
      'unet/openvino_model.bin',
      'text_encoder/model.safetensors',
      'text_encoder/flax_model.msgpack',
      'vae/config.json',
      'vae/diffusion_pytorch_model.safetensors',
      'scheduler/README.md',
      'onnx/unet/model.onnx',
      'unet/fp16/model.onnx'
    ]
    const { needed, skipped } = select([...CORE, ...extras])
    expect(needed).toEqual([...CORE].sort())
    expect(Object.keys(skipped).sort()).toEqual([...extras].sort())
    expect(skipped['unet/diffusion_pytorch_model.safetensors']).toBe('not an ONNX file')
    expect(skipped['vae/config.json']).toBe('not part of an ONNX pipeline')
  })

  it('does not take files of a component folder that has no ONNX graph', () => {
    const { skipped } = select([...CORE, 'vae_encoder/config.json', 'vae_encoder/weights.pb'])
    expect(skipped).toEqual({
      'vae_encoder/config.json': 'not an ONNX file',
      'vae_encoder/weights.pb': 'not an ONNX file'
    })
  })

  it('accepts an SDXL refiner (second text encoder only) and a transformer instead of a UNet', () => {
    const withoutFirst = CORE.filter((p) => p !== 'text_encoder/model.onnx').concat([
      'text_encoder_2/model.onnx'
    ])
    expect(() => select(withoutFirst)).not.toThrow()
    const transformer = CORE.filter((p) => p !== 'unet/model.onnx').concat([
      'transformer/model.onnx'
    ])
    expect(() => select(transformer)).not.toThrow()
  })

  it('names what is missing, with a hint for PyTorch repositories', () => {
    expect(() => select(['model_index.json', 'unet/diffusion_pytorch_model.safetensors'])).toThrow(
      new HubError(
        'not-onnx-pipeline',
        'owner/repo@main is not an ONNX diffusion pipeline: it has no unet/model.onnx, text_encoder/model.onnx, vae_decoder/model.onnx, scheduler/scheduler_config.json. It holds PyTorch weights: pick an ONNX export of this model, or export one with `optimum-cli export onnx --model <repo> <folder>`.'
      )
    )
    expect(() => select(CORE.filter((p) => p !== 'model_index.json'))).toThrow(
      /it has no model_index\.json\.$/
    )
  })
})
