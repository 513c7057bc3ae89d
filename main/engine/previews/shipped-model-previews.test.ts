import path from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PreviewCallback, type PreviewFrame } from '../callbacks/preview-callback'
import { AutoPipelineForText2Image } from '../pipelines/auto-pipeline'
import type { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from '../pipelines/stable-diffusion-xl-pipeline'
import { Generator } from '../random/generator'
import type { RgbaImage } from './latents-to-rgb'

/**
 * Previews of the shipped model (resources/models/stepwise-shapes-64) in real runs at its
 * defaults (DDIM, 25 steps, guidance 5, 64×64): its own tiny decoder, `preview_decoder/`, is the
 * default method and shows the prompt's colours long before the end.
 */
const MODEL_DIR = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')

// The training palette (tools/shapes.py); pictures are judged by the nearest of these colours,
// like tools/shapes.py's check_image.
const PALETTE: Record<string, readonly [number, number, number]> = {
  red: [220, 30, 30],
  green: [30, 160, 40],
  blue: [30, 60, 220],
  yellow: [240, 220, 30],
  orange: [250, 140, 20],
  purple: [140, 40, 190],
  white: [240, 240, 240],
  black: [20, 20, 20]
}

function nearest(rgb: readonly number[]): string {
  let best = ''
  let bestD = Infinity
  for (const [name, p] of Object.entries(PALETTE)) {
    const d = p.reduce((s, v, c) => s + (v - (rgb[c] as number)) ** 2, 0)
    if (d < bestD) [best, bestD] = [name, d]
  }
  return best
}

/** Background: the palette colour nearest the 2-pixel border's median. Foreground: the most
 * common palette colour (other than that) among pixels more than 40 levels from the border. */
function readColours(img: RgbaImage): { fg: string | null; bg: string } {
  const px = (x: number, y: number): number[] => {
    const o = (y * img.width + x) * 4
    return [img.data[o] as number, img.data[o + 1] as number, img.data[o + 2] as number]
  }
  const border: number[][] = []
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (x < 2 || y < 2 || x >= img.width - 2 || y >= img.height - 2) border.push(px(x, y))
    }
  }
  const med = [0, 1, 2].map((c) => {
    const v = border.map((p) => p[c] as number).sort((a, b) => a - b)
    return v[Math.floor(v.length / 2)] as number
  })
  const bg = nearest(med)
  const counts = new Map<string, number>()
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const p = px(x, y)
      if (Math.hypot(...p.map((v, c) => v - (med[c] as number))) <= 40) continue
      const name = nearest(p)
      if (name !== bg) counts.set(name, (counts.get(name) ?? 0) + 1)
    }
  }
  const fg = [...counts].sort((a, b) => b[1] - a[1])[0]
  return { fg: fg === undefined || fg[1] < 8 ? null : fg[0], bg }
}

let pipe: StableDiffusionPipeline | StableDiffusionXLPipeline
beforeAll(async () => {
  pipe = await AutoPipelineForText2Image.fromPretrained(MODEL_DIR, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1
  })
})
afterAll(async () => {
  await pipe.release()
})

describe('the shipped model’s previews', () => {
  it('previews a green square on a white background green on white from the middle steps on (tiny, its default)', async () => {
    expect(pipe.previews.defaultMethod).toEqual({ name: 'tiny' })
    expect(pipe.previews.tinyDecoder?.label).toBe('preview_decoder/model.onnx')
    for (const seed of [0, 1, 2]) {
      const frames: PreviewFrame[] = []
      const out = await pipe.call({
        prompt: 'a green square on a white background',
        generator: new Generator().manualSeed(seed),
        callbackOnStepEnd: new PreviewCallback({ onPreview: (f) => void frames.push(f) })
      })
      expect(frames).toHaveLength(out.numTimesteps)
      expect(readColours(out.images[0] as RgbaImage)).toEqual({ fg: 'green', bg: 'white' })
      const middle = Math.floor(out.numTimesteps / 2)
      for (const f of frames.slice(middle)) {
        expect([f.method, f.source, f.width, f.height]).toEqual(['tiny', 'x0', 64, 64])
        expect({ step: f.stepIndex, ...readColours(f) }).toEqual({
          step: f.stepIndex,
          fg: 'green',
          bg: 'white'
        })
      }
    }
  })

  it('vae:N previews are the final decode path: the last step’s is the image, the others decode the step’s x0', async () => {
    const frames: PreviewFrame[] = []
    const x0s: Tensor[] = []
    const out = await pipe.call({
      prompt: 'a red circle on a blue background',
      numInferenceSteps: 12,
      generator: new Generator().manualSeed(5),
      callbackOnStepEnd: new PreviewCallback({
        method: 'vae:5',
        onPreview: (f) => void frames.push(f)
      }),
      onStepEnd: (info) => void x0s.push(info.predOriginalSample as Tensor)
    })
    expect(frames.map((f) => f.method)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i % 5 === 0 || i === 11 ? 'vae' : 'linear'))
    )
    // A VAE step's preview is the VAE's picture of that step's x0 (render() is what the callback calls).
    for (const i of [0, 5, 10]) {
      const vae = await pipe.previews.render(x0s[i] as Tensor, 'vae')
      expect([vae.image.width, vae.image.height]).toEqual([64, 64])
      expect(Buffer.from(vae.image.data).equals(Buffer.from(frames[i]?.data ?? []))).toBe(true)
    }
    // With the latents as the source, the last step's preview is the output image, byte for byte.
    const last: PreviewFrame[] = []
    const again = await pipe.call({
      prompt: 'a red circle on a blue background',
      numInferenceSteps: 12,
      generator: new Generator().manualSeed(5),
      callbackOnStepEnd: new PreviewCallback({
        method: 'vae:5',
        source: 'latents',
        every: 11,
        includeLastStep: true,
        onPreview: (f) => void last.push(f)
      })
    })
    const image = again.images[0] as RgbaImage
    expect(Buffer.from(image.data).equals(Buffer.from(out.images[0]?.data ?? []))).toBe(true)
    expect(last.at(-1)?.method).toBe('vae')
    expect(Buffer.from(last.at(-1)?.data ?? []).equals(Buffer.from(image.data))).toBe(true)
  })
})
