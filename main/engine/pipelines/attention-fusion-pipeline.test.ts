import type { Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { AutoPipelineForText2Image, Generator } from '../index'
import { relativeDiff, SD_DIR, SDXL_DIR, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'

/**
 * Attention fusion through the pipelines: the fixture UNets' attention becomes MultiHeadAttention
 * at load (graph passes), the loaded model says so, and denoising gives the latents of the graph
 * as exported within float32 rounding.
 */
const pipes: { release(): Promise<void> }[] = []
afterAll(async () => {
  for (const p of pipes) await p.release()
})

async function latents(
  dir: string,
  fuseAttention: boolean
): Promise<{ latents: Tensor; summaries: string[] }> {
  const pipe = await AutoPipelineForText2Image.fromPretrained(dir, {
    ...TEST_SESSION_OPTIONS,
    fuseAttention
  })
  pipes.push(pipe)
  const out = await pipe.call({
    prompt: 'a red circle on a blue background',
    numInferenceSteps: 3,
    guidanceScale: 7.5,
    width: 64,
    height: 64,
    outputType: 'latent',
    generator: new Generator().manualSeed(5)
  })
  return {
    latents: out.images as Tensor,
    summaries: pipe.graphPasses.map((r) => `${r.component}: ${r.summary}`)
  }
}

describe('attention fused at load', () => {
  it('SD: reports the fusion and denoises as the exported graph does, within float32 rounding', async () => {
    const fused = await latents(SD_DIR, true)
    const exported = await latents(SD_DIR, false)
    expect(fused.summaries).toContain('unet: attention fused (14 of 14)')
    expect(exported.summaries).toContain('unet: attention not fused: turned off')
    expect(relativeDiff(exported.latents, fused.latents)).toBeLessThan(1e-5)
  })

  it('SDXL: the same', async () => {
    const fused = await latents(SDXL_DIR, true)
    const exported = await latents(SDXL_DIR, false)
    expect(fused.summaries).toContain('unet: attention fused (14 of 14)')
    expect(relativeDiff(exported.latents, fused.latents)).toBeLessThan(1e-5)
  })
})
