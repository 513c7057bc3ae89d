import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generationRequest } from '../../../testing/generation-requests'
import type { GenerationRequest } from '../protocol'
import { decodeState } from './decode-state'
import { PipelineCache } from './pipeline-cache'
import { startGeneration } from './run-generation'

/**
 * "Stop now" decodes the last finished step in a fresh process (decodeState). It must give the
 * image the run itself would have given at that step, in whatever memory mode the run plan chose:
 * a run whose decode was planned in tiles (a whole one would not fit) is decoded in tiles again.
 */
const MODEL = resolve(__dirname, '../../../resources/models/stepwise-shapes-64')
const runCache = new PipelineCache()
afterAll(() => runCache.release())

function request(memoryMode: GenerationRequest['memoryMode']): GenerationRequest {
  // 96×128 is larger than the shipped VAE's 64 px tile, so the tiled decode differs from a whole one.
  return generationRequest(
    {
      modelDir: MODEL,
      prompt: 'a red circle',
      numInferenceSteps: 3,
      guidanceScale: 7.5,
      width: 96,
      height: 128,
      seed: 21
    },
    { memoryMode }
  )
}

/** A whole run: its image, and the state after its last step. */
async function run(memoryMode: GenerationRequest['memoryMode']) {
  const generation = startGeneration(
    request(memoryMode),
    {
      phase: () => undefined,
      step: () => undefined,
      cutoff: () => undefined,
      warning: () => undefined
    },
    runCache
  )
  const result = await generation.result
  const state = generation.lastSnapshot()
  if (state === null) throw new Error('the run kept no state')
  return { image: Buffer.from(result.images[0]?.rgba ?? new ArrayBuffer(0)), state }
}

/** decodeState in a cache of its own, as the fresh process after "stop now" has. */
async function decodedImage(
  memoryMode: GenerationRequest['memoryMode'],
  state: Awaited<ReturnType<typeof run>>['state']
): Promise<Buffer> {
  const fresh = new PipelineCache()
  try {
    const decoded = await decodeState(request(memoryMode), state, fresh)
    return Buffer.from(decoded.images[0]?.rgba ?? new ArrayBuffer(0))
  } finally {
    await fresh.release()
  }
}

describe('decoding a stopped run’s last step', () => {
  it('decodes in tiles when the run did, and whole when it did', async () => {
    const tiled = await run('vae-tiles')
    expect(tiled.image.byteLength).toBe(96 * 128 * 4)
    expect((await decodedImage('vae-tiles', tiled.state)).equals(tiled.image)).toBe(true)
    expect((await decodedImage('low-memory', tiled.state)).equals(tiled.image)).toBe(true)

    const whole = await run('normal')
    expect(whole.image.equals(tiled.image)).toBe(false)
    expect((await decodedImage('normal', whole.state)).equals(whole.image)).toBe(true)
  })
})
