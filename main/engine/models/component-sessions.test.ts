import path from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { maxAbsDiff } from '../tensor/elementwise'
import { ComponentSessions, cpuMemArenaFor } from './component-sessions'
import { resolveExecutionProviders } from './execution-providers'
import { openModelFolder } from './model-folder'
import { describeTextEncoder } from './text-encoder-io'
import { describeUnet } from './unet-io'
import { describeVaeDecoder } from './vae-decoder-io'

const root = path.resolve(__dirname, '../../..')
const SD = path.join(root, 'fixtures/models/tiny-sd-random')
const SDXL = path.join(root, 'fixtures/models/tiny-sdxl-random')

const opened: ComponentSessions[] = []
async function sessionsFor(dir: string, providers: string[] = ['cpu']): Promise<ComponentSessions> {
  const s = new ComponentSessions(await openModelFolder(dir), {
    executionProviders: providers as ['cpu'],
    intraOpNumThreads: 1
  })
  opened.push(s)
  return s
}
afterAll(async () => {
  for (const s of opened) await s.release()
})

const randomTensor = (dims: number[], seed: number): Tensor => {
  let x = seed
  const n = dims.reduce((a, b) => a * b, 1)
  const data = Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x / 2 ** 30 - 1
  })
  return new Tensor('float32', data, dims)
}

describe('execution providers', () => {
  it('validates names and always ends with CPU', () => {
    expect(resolveExecutionProviders(['cuda'])).toEqual(['cuda', 'cpu'])
    expect(resolveExecutionProviders(undefined)).toEqual(['cpu'])
    expect(() => resolveExecutionProviders(['tpu'])).toThrow(
      'unknown execution provider "tpu" (allowed: cpu, cuda, dml, coreml, webgpu, auto)'
    )
  })

  it('falls back to CPU when a requested provider cannot load, and says so', async () => {
    // This onnxruntime-node install has no CUDA libraries and no DirectML: both must fail over.
    const s = await sessionsFor(SD, ['dml', 'cuda', 'cpu'])
    const unet = await s.get('unet')
    const te = await s.get('text_encoder')
    expect(unet.provider).toBe('cpu')
    expect(te.provider).toBe('cpu')
    expect(s.warnings).toHaveLength(1)
    expect(s.warnings[0]).toMatch(
      /^unet\/model.onnx, text_encoder\/model.onnx run on cpu: dml \(.+\); cuda \(.+\) could not be used$/
    )
    expect(await s.usedProviders()).toEqual({ unet: 'cpu', text_encoder: 'cpu' })
  })
})

describe('graph I/O from session metadata', () => {
  it('reads the SD fixture: int32 ids, int64 [steps] timestep, dynamic batch', async () => {
    const s = await sessionsFor(SD)
    const unet = await s.get('unet')
    expect(unet.input('timestep')).toEqual({ name: 'timestep', type: 'int64', shape: ['steps'] })
    const io = describeUnet(unet, 'sd')
    expect(io).toMatchObject({
      output: 'out_sample',
      hasTextTime: false,
      inChannels: 4,
      fixedBatch: null
    })
    const te = describeTextEncoder(await s.get('text_encoder'), {
      hiddenStates: false,
      lastHiddenState: true
    })
    expect(te).toMatchObject({
      idsInput: 'input_ids',
      lastHiddenState: 'last_hidden_state',
      pooled: null
    })
    expect((await s.get('text_encoder')).input('input_ids').type).toBe('int32')
    expect(describeVaeDecoder(await s.get('vae_decoder'))).toEqual({
      input: 'latent_sample',
      output: 'sample',
      fixedBatch: null,
      float16: false
    })
  })

  it('reads the SDXL fixture: hidden states, pooled text_embeds, rank-0 float timestep', async () => {
    const s = await sessionsFor(SDXL)
    const unet = await s.get('unet')
    expect(unet.input('timestep')).toEqual({ name: 'timestep', type: 'float32', shape: [] })
    expect(describeUnet(unet, 'sdxl').batchInputs).toEqual([
      'sample',
      'encoder_hidden_states',
      'text_embeds',
      'time_ids'
    ])
    const te2 = describeTextEncoder(await s.get('text_encoder_2'), {
      hiddenStates: true,
      lastHiddenState: false
    })
    expect(te2.pooled).toBe('text_embeds')
    expect(te2.hiddenStates).toEqual(['hidden_states.0', 'hidden_states.1', 'hidden_states.2'])
    const te1 = describeTextEncoder(await s.get('text_encoder'), {
      hiddenStates: true,
      lastHiddenState: false
    })
    expect(te1.pooled).toBeNull() // CLIPTextModel's first output is 3-D: not the pooled embedding
  })

  it('rejects a UNet that does not fit the pipeline, naming the inputs', async () => {
    const xl = await sessionsFor(SDXL)
    const unet = await xl.get('unet')
    expect(() => describeUnet(unet, 'sd')).toThrow(
      'unet/model.onnx takes text_embeds/time_ids (an SDXL UNet), but model_index.json names a Stable Diffusion 1.x/2.x pipeline'
    )
    const sdUnet = await (await sessionsFor(SD)).get('unet')
    expect(() => describeUnet(sdUnet, 'sdxl')).toThrow(
      'unet/model.onnx lacks the SDXL inputs text_embeds and time_ids (its inputs: sample, timestep, encoder_hidden_states), but model_index.json names an SDXL pipeline'
    )
  })

  it('feeds the timestep at the declared dtype and rank (int64 [1] truncates, float scalar does not)', async () => {
    const run = async (
      dir: string,
      t: number,
      extra: (b: number) => Record<string, Tensor>
    ): Promise<Tensor> => {
      const s = await sessionsFor(dir)
      const unet = await s.get('unet')
      const { outputs } = await unet.run({
        sample: randomTensor([1, 4, 8, 8], 1),
        timestep: new Tensor('float32', Float32Array.of(t), []),
        ...extra(1)
      })
      return outputs.out_sample as Tensor
    }
    const sdCond = (b: number): Record<string, Tensor> => ({
      encoder_hidden_states: randomTensor([b, 77, 32], 2)
    })
    const a = await run(SD, 500.75, sdCond)
    const b = await run(SD, 500, sdCond)
    const c = await run(SD, 501, sdCond)
    expect(maxAbsDiff(a, b)).toBe(0) // int64 input: 500.75 → 500
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-4)

    const xlCond = (bs: number): Record<string, Tensor> => ({
      encoder_hidden_states: randomTensor([bs, 77, 96], 3),
      text_embeds: randomTensor([bs, 32], 4),
      time_ids: new Tensor('float32', Float32Array.of(64, 64, 0, 0, 64, 64), [1, 6])
    })
    const x = await run(SDXL, 500.75, xlCond)
    const y = await run(SDXL, 500, xlCond)
    expect(maxAbsDiff(x, y)).toBeGreaterThan(0) // float scalar: the fraction reaches the graph
  })

  it('creates sessions lazily and again after release', async () => {
    const s = await sessionsFor(SD)
    expect(await s.usedProviders()).toEqual({})
    const first = await s.get('vae_decoder')
    expect(await s.get('vae_decoder')).toBe(first)
    await s.release()
    await expect(first.run({})).rejects.toThrow('vae_decoder/model.onnx was released')
    const second = await s.get('vae_decoder')
    expect(second).not.toBe(first)
  })
})

describe('cpuMemArenaFor', () => {
  it('keeps the arena for per-step graphs, not for the VAE decoder, unless told', () => {
    expect(cpuMemArenaFor('unet', {})).toBe(true)
    expect(cpuMemArenaFor('text_encoder', {})).toBe(true)
    expect(cpuMemArenaFor('vae_decoder', {})).toBe(false)
    expect(cpuMemArenaFor('vae_decoder', { enableCpuMemArena: true })).toBe(true)
    expect(cpuMemArenaFor('unet', { cpuMemArena: { unet: false } })).toBe(false)
    expect(
      cpuMemArenaFor('vae_decoder', {
        enableCpuMemArena: false,
        cpuMemArena: { vae_decoder: true }
      })
    ).toBe(true)
  })
})
