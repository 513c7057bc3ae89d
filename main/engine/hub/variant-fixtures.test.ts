import { promises as fs } from 'node:fs'
import path from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { float16ToFloat32, float32ToFloat16 } from '../tensor/float16'
import { fixtureModel } from '../../../testing/test-hub/hub-test-helpers'

/**
 * The variant fixtures the hub tests serve (made by tools/make_variant_fixtures.py from
 * tiny-sd-random): their I/O is what fixtures/models/README.md documents, onnxruntime-node's CPU
 * provider runs them, and they compute what tiny-sd-random computes (fp16 within float16
 * rounding; legacy exactly, except the VAE encoder that samples inside the graph).
 */

type Io = [name: string, type: string, shape: (number | string)[]]

async function describeGraph(
  dir: string,
  component: string
): Promise<{ inputs: Io[]; outputs: Io[] }> {
  const session = await InferenceSession.create(path.join(dir, component, 'model.onnx'))
  try {
    const io = (meta: readonly InferenceSession.ValueMetadata[]): Io[] =>
      meta.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [m.name, 'non-tensor', []]))
    return { inputs: io(session.inputMetadata), outputs: io(session.outputMetadata) }
  } finally {
    await session.release()
  }
}

/** A deterministic pseudo-random vector in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let x = seed
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return (x / 2147483648) * 2 - 1
  })
}

function floatTensor(type: string, data: Float32Array, dims: number[]): Tensor {
  return type === 'float16'
    ? new Tensor('float16', float32ToFloat16(data), dims)
    : new Tensor('float32', data, dims)
}

function toFloat32(t: Tensor): Float32Array {
  return t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as Float32Array)
}

const IDS = [651, 10, 20, 30, 652, ...Array<number>(72).fill(652)]

/**
 * Runs one graph of a fixture on the CPU provider with fixed inputs, `runs` times in one session,
 * returning the float32 outputs of each run.
 */
async function runComponentTimes(
  fixture: string,
  component: string,
  runs: number
): Promise<Record<string, Float32Array>[]> {
  const session = await InferenceSession.create(
    path.join(fixtureModel(fixture), component, 'model.onnx'),
    {
      executionProviders: ['cpu']
    }
  )
  try {
    const meta = new Map(
      session.inputMetadata.map((m) => [
        m.name,
        m.isTensor ? { type: m.type, rank: m.shape.length } : { type: '', rank: 0 }
      ])
    )
    const type = (name: string): string => meta.get(name)?.type ?? ''
    const feeds: Record<string, Tensor> = {}
    if (component === 'text_encoder') {
      feeds.input_ids =
        type('input_ids') === 'int64'
          ? new Tensor('int64', BigInt64Array.from(IDS, BigInt), [1, 77])
          : new Tensor('int32', Int32Array.from(IDS), [1, 77])
    } else if (component === 'unet') {
      const t = type('timestep')
      feeds.timestep =
        t === 'int64'
          ? new Tensor('int64', BigInt64Array.from([999n]), [1])
          : floatTensor(t, Float32Array.from([999]), meta.get('timestep')?.rank === 0 ? [] : [1])
      feeds.sample = floatTensor(type('sample'), values(2 * 4 * 8 * 8, 5), [2, 4, 8, 8])
      feeds.encoder_hidden_states = floatTensor(
        type('encoder_hidden_states'),
        values(2 * 77 * 32, 3),
        [2, 77, 32]
      )
    } else if (component === 'vae_decoder') {
      feeds.latent_sample = floatTensor(type('latent_sample'), values(4 * 8 * 8, 7), [1, 4, 8, 8])
    } else {
      feeds.sample = floatTensor(type('sample'), values(3 * 64 * 64, 9), [1, 3, 64, 64])
    }
    const results: Record<string, Float32Array>[] = []
    for (let i = 0; i < runs; i++) {
      const out = await session.run(feeds)
      results.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, toFloat32(v)])))
    }
    return results
  } finally {
    await session.release()
  }
}

async function runComponent(
  fixture: string,
  component: string
): Promise<Record<string, Float32Array>> {
  const [out] = await runComponentTimes(fixture, component, 1)
  return out ?? {}
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)))
  return m
}

describe('tiny-sd-fp16 (optimum --dtype fp16 layout)', () => {
  it('declares float16 for every float input and output, int64 ids and a rank-0 timestep', async () => {
    const dir = fixtureModel('tiny-sd-fp16')
    expect(await describeGraph(dir, 'text_encoder')).toEqual({
      inputs: [['input_ids', 'int64', ['batch_size', 'sequence_length']]],
      outputs: [
        ['last_hidden_state', 'float16', ['batch_size', 'sequence_length', 32]],
        ['pooler_output', 'float16', ['batch_size', 32]]
      ]
    })
    expect(await describeGraph(dir, 'unet')).toEqual({
      inputs: [
        ['sample', 'float16', ['batch_size', 4, 'height', 'width']],
        ['timestep', 'float16', []],
        ['encoder_hidden_states', 'float16', ['batch_size', 'sequence_length', 32]]
      ],
      outputs: [['out_sample', 'float16', ['batch_size', 4, 'height', 'width']]]
    })
    expect((await describeGraph(dir, 'vae_decoder')).inputs).toEqual([
      ['latent_sample', 'float16', ['batch_size', 4, 'latent_height', 'latent_width']]
    ])
    expect((await describeGraph(dir, 'vae_encoder')).outputs).toEqual([
      ['latent_parameters', 'float16', ['batch_size', 8, 'latent_height', 'latent_width']]
    ])
    for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      await expect(fs.stat(path.join(dir, component, 'config.json'))).resolves.toBeTruthy()
    }
    await expect(fs.stat(path.join(dir, 'unet', 'model.onnx_data'))).resolves.toBeTruthy()
  })

  it.each([
    ['text_encoder', 0.01],
    ['unet', 0.02],
    ['vae_decoder', 0.01],
    ['vae_encoder', 0.01]
  ])(
    '%s runs on the CPU provider and matches the fp32 graph within float16 rounding',
    async (component, tolerance) => {
      const [fp32, fp16] = [
        await runComponent('tiny-sd-random', component),
        await runComponent('tiny-sd-fp16', component)
      ]
      for (const name of Object.keys(fp32)) {
        const a = fp32[name] ?? new Float32Array()
        const b = fp16[name] ?? new Float32Array()
        expect(b.every(Number.isFinite), name).toBe(true)
        expect(maxAbsDiff(a, b), name).toBeLessThan(tolerance)
        expect(maxAbsDiff(a, b), name).toBeGreaterThan(0)
      }
    }
  )
})

describe('tiny-sd-legacy (diffusers OnnxStableDiffusionPipeline layout)', () => {
  it('has the legacy index, no component configs, weights.pb, int32 ids and a float [batch] timestep', async () => {
    const dir = fixtureModel('tiny-sd-legacy')
    const index = JSON.parse(
      await fs.readFile(path.join(dir, 'model_index.json'), 'utf8')
    ) as Record<string, unknown>
    expect(index._class_name).toBe('OnnxStableDiffusionPipeline')
    for (const c of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      expect(index[c]).toEqual(['diffusers', 'OnnxRuntimeModel'])
      await expect(fs.stat(path.join(dir, c, 'config.json'))).rejects.toThrow()
    }
    expect(await fs.readdir(path.join(dir, 'unet'))).toEqual(['model.onnx', 'weights.pb'])
    expect(await fs.readdir(path.join(dir, 'tokenizer'))).not.toContain('tokenizer.json')
    expect((await describeGraph(dir, 'text_encoder')).inputs).toEqual([
      ['input_ids', 'int32', ['batch', 'sequence']]
    ])
    expect((await describeGraph(dir, 'unet')).inputs).toEqual([
      ['sample', 'float32', ['batch', 'channels', 'height', 'width']],
      ['timestep', 'float32', ['batch']],
      ['encoder_hidden_states', 'float32', ['batch', 'sequence', 32]]
    ])
    expect((await describeGraph(dir, 'vae_encoder')).outputs).toEqual([
      ['latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width']]
    ])
  })

  it.each(['text_encoder', 'unet', 'vae_decoder'])(
    '%s computes exactly what tiny-sd-random does',
    async (component) => {
      const [a, b] = [
        await runComponent('tiny-sd-random', component),
        await runComponent('tiny-sd-legacy', component)
      ]
      for (const name of Object.keys(a)) {
        expect(maxAbsDiff(a[name] ?? new Float32Array(), b[name] ?? new Float32Array()), name).toBe(
          0
        )
      }
    }
  )

  it('samples latent_sample inside the VAE encoder: a fresh draw around the mean each run', async () => {
    const params =
      (await runComponent('tiny-sd-random', 'vae_encoder')).latent_parameters ?? new Float32Array()
    // One session, two runs: the legacy pipeline's usage (a new session restarts the sequence).
    const draws = await runComponentTimes('tiny-sd-legacy', 'vae_encoder', 2)
    const [s1, s2] = draws.map((d) => d.latent_sample ?? new Float32Array())
    if (s1 === undefined || s2 === undefined) throw new Error('two runs expected')
    expect(s1.length).toBe(4 * 8 * 8)
    expect(maxAbsDiff(s1, s2)).toBeGreaterThan(0)
    // (sample - mean) / std is standard normal: check its spread.
    let sum = 0
    let sq = 0
    for (let i = 0; i < s1.length; i++) {
      const mean = params[i] ?? 0
      const logvar = Math.min(20, Math.max(-30, params[i + s1.length] ?? 0))
      const z = ((s1[i] ?? 0) - mean) / Math.exp(logvar / 2)
      sum += z
      sq += z * z
    }
    const mean = sum / s1.length
    const variance = sq / s1.length - mean * mean
    expect(Math.abs(mean)).toBeLessThan(0.3)
    expect(variance).toBeGreaterThan(0.6)
    expect(variance).toBeLessThan(1.5)
  })
})
