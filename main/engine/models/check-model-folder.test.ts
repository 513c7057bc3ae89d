import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InferenceSession } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { checkModelFolder } from './check-model-folder'
import { ModelLoadError } from './model-load-error'
import { UnsupportedPipelineError } from './model-index'
import { readOnnxHeader } from './onnx-header'

const FIXTURES = path.resolve(__dirname, '../../../fixtures/models')
const tmp = path.join(os.tmpdir(), `stepwise-check-${process.pid}`)
afterAll(async () => fs.rm(tmp, { recursive: true, force: true }))

async function copyFixture(name: string, as: string): Promise<string> {
  const dest = path.join(tmp, as)
  await fs.cp(path.join(FIXTURES, name), dest, { recursive: true })
  return dest
}

describe('reading ONNX headers without a session', () => {
  it('gives exactly what onnxruntime reports for every fixture graph', async () => {
    const graphs = [
      'tiny-sd-random/text_encoder',
      'tiny-sd-random/unet',
      'tiny-sd-random/vae_decoder',
      'tiny-sdxl-random/text_encoder_2',
      'tiny-sdxl-random/unet',
      'tiny-sd-fp16/unet',
      'tiny-sd-fp16/text_encoder',
      'tiny-sd-legacy/unet'
    ]
    for (const g of graphs) {
      const file = path.join(FIXTURES, g, 'model.onnx')
      const header = await readOnnxHeader(file)
      const session = await InferenceSession.create(file, { executionProviders: ['cpu'] })
      const fromSession = (
        names: readonly string[],
        md: readonly InferenceSession.ValueMetadata[]
      ) =>
        names.map((name, i) => {
          const m = md[i] as InferenceSession.ValueMetadata & { type: string; shape: unknown[] }
          return { name, type: m.type, shape: m.shape }
        })
      expect(header.inputs, g).toEqual(fromSession(session.inputNames, session.inputMetadata))
      expect(header.outputs, g).toEqual(fromSession(session.outputNames, session.outputMetadata))
      expect(header.opsets.find((o) => o.domain === '')?.version).toBe(17)
      await session.release()
    }
  })

  it('refuses a truncated file, naming it', async () => {
    const dir = await copyFixture('tiny-sd-random', 'truncated')
    const file = path.join(dir, 'text_encoder', 'model.onnx')
    const bytes = await fs.readFile(file)
    await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expect(readOnnxHeader(file)).rejects.toThrow(
      `${file} is not a complete ONNX file (it ends in the middle of the model; is the download complete?)`
    )
  })
})

describe('checkModelFolder', () => {
  it('checks both layouts and both precisions', async () => {
    const fp32 = await checkModelFolder(path.join(FIXTURES, 'tiny-sd-random'))
    expect(fp32).toMatchObject({ precision: 'fp32', crossAttentionDim: 32, legacyLayout: false })
    expect(fp32.graphs.map((g) => g.component)).toEqual(['text_encoder', 'unet', 'vae_decoder'])
    expect(fp32.graphs[1]?.sizeBytes).toBeGreaterThan(1_000_000) // model.onnx_data counted

    const fp16 = await checkModelFolder(path.join(FIXTURES, 'tiny-sd-fp16'))
    expect(fp16.precision).toBe('fp16')
    const legacy = await checkModelFolder(path.join(FIXTURES, 'tiny-sd-legacy'))
    // No unet/config.json: the width comes from the graph itself.
    expect(legacy).toMatchObject({ precision: 'fp32', crossAttentionDim: 32, legacyLayout: true })
    const xl = await checkModelFolder(path.join(FIXTURES, 'tiny-sdxl-random'))
    expect(xl.graphs.map((g) => g.component)).toEqual([
      'text_encoder',
      'text_encoder_2',
      'unet',
      'vae_decoder'
    ])
  })

  it('names the unexpected input, the unsupported dtype, the missing file, the unsupported family', async () => {
    // An SD 1.x folder whose index claims SDXL: the UNet lacks SDXL's inputs.
    const wrongIndex = await copyFixture('tiny-sd-random', 'claims-sdxl')
    const indexFile = path.join(wrongIndex, 'model_index.json')
    const index = JSON.parse(await fs.readFile(indexFile, 'utf8')) as Record<string, unknown>
    await fs.writeFile(
      indexFile,
      JSON.stringify({
        ...index,
        _class_name: 'StableDiffusionXLPipeline',
        text_encoder: [null, null]
      })
    )
    await fs.cp(path.join(wrongIndex, 'text_encoder'), path.join(wrongIndex, 'text_encoder_2'), {
      recursive: true
    })
    await fs.cp(path.join(wrongIndex, 'tokenizer'), path.join(wrongIndex, 'tokenizer_2'), {
      recursive: true
    })
    await expect(checkModelFolder(wrongIndex)).rejects.toThrow(
      /text_encoder_2\/model.onnx has no hidden_states.N outputs \(its outputs: last_hidden_state, pooler_output\)/
    )

    const missing = await copyFixture('tiny-sd-random', 'no-vae')
    await fs.rm(path.join(missing, 'vae_decoder', 'model.onnx'))
    await expect(checkModelFolder(missing)).rejects.toThrow(/^vae_decoder\/model.onnx is missing: /)

    const torch = await copyFixture('tiny-sd-random', 'torch')
    await fs.rm(path.join(torch, 'unet', 'model.onnx'))
    await fs.writeFile(path.join(torch, 'unet', 'diffusion_pytorch_model.safetensors'), '')
    await expect(checkModelFolder(torch)).rejects.toThrow(
      /is a PyTorch diffusers folder \(unet\/diffusion_pytorch_model.safetensors\), not an ONNX export; export it with `optimum-cli export onnx/
    )

    const sd3 = await copyFixture('tiny-sd-random', 'sd3')
    await fs.writeFile(
      path.join(sd3, 'model_index.json'),
      JSON.stringify({ _class_name: 'StableDiffusion3Pipeline' })
    )
    const error = await checkModelFolder(sd3).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsupportedPipelineError)
    expect(error).toBeInstanceOf(ModelLoadError)
    expect((error as UnsupportedPipelineError).familyName).toBe('Stable Diffusion 3')
    expect((error as Error).message).toMatch(
      /^Stable Diffusion 3 is not supported yet: .* names the pipeline "StableDiffusion3Pipeline"/
    )
  })

  it('names an input element type the pipeline cannot feed', async () => {
    // Declare the UNet's "sample" input as a string tensor (ONNX element type 8).
    const dir = await copyFixture('tiny-sd-random', 'string-sample')
    const file = path.join(dir, 'unet', 'model.onnx')
    const bytes = await fs.readFile(file)
    // ValueInfo "sample": name (0a 06 'sample'), type.tensor_type.elem_type = 1 (float) → 8.
    const marker = Buffer.from([0x0a, 0x06, ...Buffer.from('sample')])
    const at = bytes.lastIndexOf(marker)
    const elem = bytes.indexOf(Buffer.from([0x08, 0x01]), at)
    expect(at).toBeGreaterThan(0)
    bytes[elem + 1] = 8
    await fs.writeFile(file, bytes)
    await expect(checkModelFolder(dir)).rejects.toThrow(
      'unet/model.onnx input "sample" has type string, which Stepwise cannot feed (supported: float32, float16)'
    )
  })
})
