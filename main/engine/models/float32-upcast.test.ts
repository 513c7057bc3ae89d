import path from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { float32ToFloat16, float16ToFloat32 } from '../tensor/float16'
import { upcastFloat16Model } from './float32-upcast'

const FIXTURES = path.resolve(__dirname, '../../../fixtures/models')
const options: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1
}

function latents(): Float32Array {
  let x = 7
  return Float32Array.from({ length: 1 * 4 * 8 * 8 }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return (x / 2 ** 30 - 1) * 3
  })
}

async function decode(
  model: string | Uint8Array,
  input: Float32Array,
  half: boolean
): Promise<Float32Array> {
  const session = await InferenceSession.create(model as string, options)
  const feed = half
    ? new Tensor('float16', float32ToFloat16(input), [1, 4, 8, 8])
    : new Tensor('float32', input, [1, 4, 8, 8])
  const out = (await session.run({ latent_sample: feed })).sample as Tensor
  await session.release()
  return out.type === 'float16'
    ? float16ToFloat32(out.data as Uint16Array)
    : (out.data as Float32Array)
}

const maxDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0)

describe('float32 upcast of a float16 graph (force_upcast)', () => {
  it('gives a float32 graph that computes the fp32 model’s decoder output more closely than float16 does', async () => {
    const fp16File = path.join(FIXTURES, 'tiny-sd-fp16', 'vae_decoder', 'model.onnx')
    const upcast = upcastFloat16Model(fp16File)
    const session = await InferenceSession.create(upcast, options)
    const io = [...session.inputMetadata, ...session.outputMetadata].map((m) =>
      m.isTensor ? m.type : 'non-tensor'
    )
    expect(io).toEqual(['float32', 'float32'])
    await session.release()

    const z = latents()
    const reference = await decode(
      path.join(FIXTURES, 'tiny-sd-random', 'vae_decoder', 'model.onnx'),
      z,
      false
    )
    const inFloat32 = await decode(upcast, z, false)
    const inFloat16 = await decode(fp16File, z, true)
    const upcastError = maxDiff(inFloat32, reference)
    const halfError = maxDiff(inFloat16, reference)
    // Only the weights' float16 rounding remains.
    expect(upcastError).toBeLessThan(0.01)
    expect(upcastError).toBeLessThan(halfError)
  })

  it('inlines float16 weights kept in an external file (the fp16 UNet’s model.onnx_data)', async () => {
    const upcast = upcastFloat16Model(path.join(FIXTURES, 'tiny-sd-fp16', 'unet', 'model.onnx'))
    const session = await InferenceSession.create(upcast, options)
    expect(session.inputMetadata.map((m) => (m.isTensor ? m.type : ''))).toEqual([
      'float32',
      'float32',
      'float32'
    ])
    await session.release()
  })
})
