import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findModelPreviewDecoder, resolvePreviewDecoder } from './preview-decoder-source'

const ROOT = path.resolve(__dirname, '../../..')
const TAESD = path.join(ROOT, 'fixtures/models/taesd-random')
const SHIPPED = path.join(ROOT, 'resources/models/stepwise-shapes-64')

let tmp: string
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-preview-decoder-'))
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

describe('resolvePreviewDecoder', () => {
  it('finds vae_decoder/model.onnx in a Hub TAESD folder and assumes TAESD’s scaling without a config', async () => {
    const source = await resolvePreviewDecoder(TAESD)
    expect(source).toEqual({
      file: path.join(TAESD, 'vae_decoder', 'model.onnx'),
      label: 'taesd-random/vae_decoder/model.onnx',
      origin: 'external',
      className: null,
      scalingFactor: 1,
      shiftFactor: 0,
      latentChannels: null,
      configFile: null
    })
    // The same graph given as its folder or as the file.
    expect((await resolvePreviewDecoder(path.join(TAESD, 'vae_decoder'))).file).toBe(source.file)
    expect((await resolvePreviewDecoder(source.file)).file).toBe(source.file)
  })

  it('reads scaling and shift from the config beside the graph (diffusers’ rule)', async () => {
    const dir = path.join(tmp, 'taesd3-like', 'vae_decoder')
    await fs.mkdir(dir, { recursive: true })
    await fs.copyFile(path.join(TAESD, 'vae_decoder', 'model.onnx'), path.join(dir, 'model.onnx'))
    await fs.writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        _class_name: 'AutoencoderTiny',
        scaling_factor: 1.5305,
        shift_factor: 0.0609,
        latent_channels: 16
      })
    )
    const source = await resolvePreviewDecoder(path.join(tmp, 'taesd3-like'))
    expect([
      source.className,
      source.scalingFactor,
      source.shiftFactor,
      source.latentChannels
    ]).toEqual(['AutoencoderTiny', 1.5305, 0.0609, 16])
  })

  it('says what it looked for when a path holds no decoder', async () => {
    await expect(resolvePreviewDecoder(path.join(tmp, 'nowhere'))).rejects.toThrow(
      `The preview decoder ${path.join(tmp, 'nowhere')} does not exist`
    )
    await expect(resolvePreviewDecoder(tmp)).rejects.toThrow(
      `No preview decoder in ${tmp}: expected vae_decoder/model.onnx (the layout of the Hub's TAESD ONNX exports, e.g. deinferno/taesd-onnx or julienkay/taesdxl), preview_decoder/model.onnx or model.onnx`
    )
    const text = path.join(tmp, 'notes.txt')
    await fs.writeFile(text, 'not a graph')
    await expect(resolvePreviewDecoder(text)).rejects.toThrow(
      `The preview decoder ${text} is not an ONNX file`
    )
    const badConfig = path.join(tmp, 'bad', 'vae_decoder')
    await fs.mkdir(badConfig, { recursive: true })
    await fs.writeFile(path.join(badConfig, 'model.onnx'), '')
    await fs.writeFile(path.join(badConfig, 'config.json'), '{"scaling_factor": "one"}')
    await expect(resolvePreviewDecoder(path.join(tmp, 'bad'))).rejects.toThrow(
      `"scaling_factor" in ${path.join(badConfig, 'config.json')} must be a number, but it is "one"`
    )
  })
})

describe('findModelPreviewDecoder', () => {
  it('finds the shipped model’s own tiny decoder and its TAESD-convention config', async () => {
    const source = await findModelPreviewDecoder(SHIPPED)
    expect(source).toMatchObject({
      file: path.join(SHIPPED, 'preview_decoder', 'model.onnx'),
      label: 'preview_decoder/model.onnx',
      origin: 'model',
      className: 'AutoencoderTiny',
      scalingFactor: 1,
      shiftFactor: 0,
      latentChannels: 4
    })
    expect(await findModelPreviewDecoder(path.join(ROOT, 'fixtures/models/tiny-sd-random'))).toBe(
      null
    )
  })
})
