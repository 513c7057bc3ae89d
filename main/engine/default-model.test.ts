import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AutoPipelineForText2Image,
  Generator,
  PreviewCallback,
  SDCFGCutoffCallback,
  StableDiffusionPipeline,
  type StableDiffusionCallOptions,
  type PipelineOutput,
  type PreviewFrame,
  type RgbaImage
} from './index'

/**
 * The shipped default model, run for real through the public API: what a user of the app relies
 * on. The model is retrained and re-exported from time to time, so nothing here depends on exact
 * pixels, on a seed that happens to draw a perfect shape, or on the fitted preview numbers: the
 * checks are about colours (which the model gets right almost always), rough geometry, and
 * engine behaviour (determinism, previews, CFG cutoff batches).
 */
const MODEL_DIR = path.resolve(__dirname, '../../resources/models/stepwise-shapes-64')

// Read here as plain JSON, not through the engine's parser (which is under test). The defaults
// are chosen after each training run's evaluation, so they are compared, not hard-coded.
interface StepwiseJson {
  defaults: {
    num_inference_steps: number
    guidance_scale: number
    width: number
    height: number
    scheduler: string
  }
  latent_rgb_factors: number[][]
  latent_rgb_bias: number[]
}
const STEPWISE = JSON.parse(
  readFileSync(path.join(MODEL_DIR, 'stepwise.json'), 'utf8')
) as StepwiseJson

// The training palette (tools/shapes.py); pictures are judged by the nearest of these colours.
const PALETTE = {
  red: [220, 30, 30],
  green: [30, 160, 40],
  blue: [30, 60, 220],
  yellow: [240, 220, 30],
  orange: [250, 140, 20],
  purple: [140, 40, 190],
  white: [240, 240, 240],
  black: [20, 20, 20]
} as const satisfies Record<string, readonly [number, number, number]>
type Colour = keyof typeof PALETTE
const COLOURS = Object.keys(PALETTE) as Colour[]

interface Case {
  fg: Colour
  shape: 'circle' | 'square' | 'triangle'
  bg: Colour
}
// Pairs far apart in RGB and in the preview table. No green background: the first export's fitted
// preview table renders green as a dark olive (about (84, 70, 28), nearest to black), so its
// previews never show a green background. The shape word is part of the prompt but is not
// judged: the model confuses circles and squares about one time in five.
const CASES: readonly Case[] = [
  { fg: 'red', shape: 'circle', bg: 'blue' },
  { fg: 'yellow', shape: 'square', bg: 'purple' },
  { fg: 'white', shape: 'triangle', bg: 'black' },
  { fg: 'green', shape: 'circle', bg: 'orange' }
]
// Exactly the training captions' template ("a orange", not "an orange").
const promptFor = (c: Case): string => `a ${c.fg} ${c.shape} on a ${c.bg} background`

function nearestColour(r: number, g: number, b: number): Colour {
  let best: Colour = 'black'
  let bestDistance = Infinity
  for (const name of COLOURS) {
    const [pr, pg, pb] = PALETTE[name]
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2
    if (d < bestDistance) {
      bestDistance = d
      best = name
    }
  }
  return best
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Per-channel median of the pixels within `ring` pixels of the edge (the background there). */
function borderMedian(img: RgbaImage, ring: number): [number, number, number] {
  const channels: [number[], number[], number[]] = [[], [], []]
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const inner = x >= ring && y >= ring && x < img.width - ring && y < img.height - ring
      if (inner) continue
      const o = (y * img.width + x) * 4
      for (let c = 0; c < 3; c++) channels[c]?.push(img.data[o + c] as number)
    }
  }
  return [median(channels[0]), median(channels[1]), median(channels[2])]
}

function backgroundOf(img: RgbaImage, ring: number): Colour {
  return nearestColour(...borderMedian(img, ring))
}

interface Reading {
  background: Colour
  /** Share of the pixels not nearest to the background colour that are nearest to the foreground's. */
  foregroundShare: number
  /** Pixels nearest to the foreground colour, as a share of the image. */
  foregroundArea: number
  /** Share of the foreground pixels in the largest 4-connected piece. */
  largestPiece: number
  /** Foreground pixels over the area of their bounding box (a triangle fills about half). */
  boxFill: number
}

/** Reads a picture the way a person would check it: background colour, then the shape's colour. */
function read(img: RgbaImage, c: Case): Reading {
  const { width: w, height: h, data } = img
  // The training data's shapes keep a margin from the edge, so a 2-pixel ring is background.
  const background = backgroundOf(img, 2)
  const mask = new Uint8Array(w * h)
  let offBackground = 0
  let foreground = 0
  let [x0, y0, x1, y1] = [w, h, -1, -1]
  for (let p = 0; p < w * h; p++) {
    const n = nearestColour(
      data[p * 4] as number,
      data[p * 4 + 1] as number,
      data[p * 4 + 2] as number
    )
    if (n === c.bg) continue
    offBackground++
    if (n !== c.fg) continue
    foreground++
    mask[p] = 1
    const [x, y] = [p % w, Math.floor(p / w)]
    ;[x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)]
  }
  return {
    background,
    foregroundShare: offBackground === 0 ? 0 : foreground / offBackground,
    foregroundArea: foreground / (w * h),
    largestPiece: foreground === 0 ? 0 : largestComponent(mask, w, h) / foreground,
    boxFill: foreground === 0 ? 0 : foreground / ((x1 - x0 + 1) * (y1 - y0 + 1))
  }
}

function largestComponent(mask: Uint8Array, w: number, h: number): number {
  const seen = new Uint8Array(w * h)
  let largest = 0
  for (let start = 0; start < w * h; start++) {
    if (mask[start] !== 1 || seen[start] === 1) continue
    seen[start] = 1
    const stack = [start]
    let size = 0
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
      size++
      const [x, y] = [p % w, Math.floor(p / w)]
      const neighbours = [
        x > 0 ? p - 1 : -1,
        x < w - 1 ? p + 1 : -1,
        y > 0 ? p - w : -1,
        y < h - 1 ? p + w : -1
      ]
      for (const q of neighbours) {
        if (q >= 0 && mask[q] === 1 && seen[q] === 0) {
          seen[q] = 1
          stack.push(q)
        }
      }
    }
    largest = Math.max(largest, size)
  }
  return largest
}

/** Whether the picture has the prompt's colours: the test of "follows the prompt" below. */
function hasPromptColours(r: Reading, c: Case): boolean {
  return r.background === c.bg && r.foregroundShare >= 0.5 && r.foregroundArea >= 0.02
}

/** Mean |preview − image averaged over each preview pixel's block|, in 0–255 levels. */
function previewDistance(preview: RgbaImage, img: RgbaImage): number {
  const scale = img.width / preview.width
  let sum = 0
  for (let py = 0; py < preview.height; py++) {
    for (let px = 0; px < preview.width; px++) {
      for (let c = 0; c < 3; c++) {
        let block = 0
        for (let y = py * scale; y < (py + 1) * scale; y++) {
          for (let x = px * scale; x < (px + 1) * scale; x++) {
            block += img.data[(y * img.width + x) * 4 + c] as number
          }
        }
        const p = preview.data[(py * preview.width + px) * 4 + c] as number
        sum += Math.abs(p - block / (scale * scale))
      }
    }
  }
  return sum / (preview.width * preview.height * 3)
}

let pipe: StableDiffusionPipeline
beforeAll(async () => {
  const opened = await AutoPipelineForText2Image.fromPretrained(MODEL_DIR, {
    executionProviders: ['cpu'],
    // One thread per session: the test machine has two cores and test files run in parallel.
    intraOpNumThreads: 1
  })
  if (!(opened instanceof StableDiffusionPipeline)) {
    await opened.release()
    throw new Error('the shipped model should open as a StableDiffusionPipeline')
  }
  pipe = opened
})
afterAll(async () => {
  await pipe?.release()
})

async function generate(
  c: Case,
  seed: number,
  options: StableDiffusionCallOptions<'image'> = {}
): Promise<PipelineOutput<'image'>> {
  return pipe.call({
    prompt: promptFor(c),
    generator: new Generator().manualSeed(seed),
    ...options
  })
}

function only(out: PipelineOutput<'image'>): RgbaImage {
  expect(out.images).toHaveLength(1)
  return out.images[0] as RgbaImage
}

describe('the shipped default model (stepwise-shapes-64)', () => {
  it('runs at its stepwise.json defaults (64×64) and warns about nothing', async () => {
    const d = STEPWISE.defaults
    const out = await generate(CASES[0] as Case, 0)
    expect(out.scheduler).toBe(d.scheduler)
    expect([out.numInferenceSteps, out.stepsRun]).toEqual([d.num_inference_steps, out.numTimesteps])
    expect(out.guidanceScale).toBe(d.guidance_scale)
    // The model's native size: what it was trained at.
    expect([d.width, d.height, out.width, out.height]).toEqual([64, 64, 64, 64])
    expect(only(out).data).toHaveLength(64 * 64 * 4)
    expect(out.warnings).toEqual([])
  })

  it.each(CASES)(
    'draws $fg on $bg: background, foreground colour and a compact shape',
    async (c) => {
      for (const seed of [0, 1]) {
        // Measured over seeds 0–15 with the first export: foreground share 0.75–1, area 4–21%.
        const r = read(only(await generate(c, seed)), c)
        expect(r.background, `seed ${seed}`).toBe(c.bg)
        expect(r.foregroundShare, `seed ${seed}`).toBeGreaterThanOrEqual(0.6)
        expect(r.foregroundArea, `seed ${seed}`).toBeGreaterThanOrEqual(0.02)
        expect(r.foregroundArea, `seed ${seed}`).toBeLessThanOrEqual(0.6)
        // A solid shape, not speckles. Loose on purpose: about one seed in 60 draws a second, smaller
        // shape beside the first (measured: largest piece 0.82 of the foreground, box fill 0.37).
        expect(r.largestPiece, `seed ${seed}`).toBeGreaterThanOrEqual(0.6)
        expect(r.boxFill, `seed ${seed}`).toBeGreaterThanOrEqual(0.25)
      }
    }
  )

  it('gives byte-identical images for the same seed, and a different one for another seed', async () => {
    const c = CASES[1] as Case
    const a = only(await generate(c, 7))
    const b = only(await generate(c, 7))
    const other = only(await generate(c, 8))
    expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true)
    expect(Buffer.from(other.data).equals(Buffer.from(a.data))).toBe(false)
  })

  it('previews with its own fitted factors: right background by 40% of the steps, last one ≈ the image', async () => {
    // The pipeline's table (what linear previews use unless given another) is the model's own.
    // The model's default preview method is its tiny decoder (previews/shipped-model-previews.test.ts).
    expect(pipe.latentRgbFactors.factors).toEqual(STEPWISE.latent_rgb_factors)
    expect(pipe.latentRgbFactors.bias).toEqual(STEPWISE.latent_rgb_bias)

    const runs: { c: Case; image: RgbaImage; frames: PreviewFrame[] }[] = []
    for (const c of CASES) {
      const frames: PreviewFrame[] = []
      const out = await generate(c, 0, {
        callbackOnStepEnd: new PreviewCallback({
          method: 'linear',
          onPreview: (f) => void frames.push(f)
        })
      })
      expect(frames.map((f) => f.stepIndex)).toEqual(out.steps.map((s) => s.index))
      // At latent resolution (1/8), from the scheduler's x0 prediction.
      expect(
        frames.every(
          (f) => f.source === 'x0' && f.method === 'linear' && f.width === 8 && f.height === 8
        )
      ).toBe(true)
      runs.push({ c, image: only(out), frames })
    }
    for (const { c, image, frames } of runs) {
      // Measured over seeds 0–15 with the first export: right from step index 8 at the latest.
      const early = Math.trunc(0.4 * frames.length)
      const backgrounds = frames.slice(early).map((f) => backgroundOf(f, 1))
      expect(backgrounds, `${c.bg} background from step ${early}`).toEqual(
        backgrounds.map(() => c.bg)
      )
      const last = frames[frames.length - 1] as PreviewFrame
      const own = previewDistance(last, image)
      // Measured 21–40 levels with the first export, seeds 0–15 (a linear map of this VAE's
      // latents is rough: the fit's own held-out RMSE is 47 levels).
      expect(own, `${c.fg} on ${c.bg}`).toBeLessThan(55)
      // And it is a preview of this picture: every other colour pair's picture is farther away.
      for (const other of runs) {
        if (other.c !== c) expect(previewDistance(last, other.image)).toBeGreaterThan(own)
      }
    }
  })

  it('CFG cutoff at 40%: the UNet runs batch 2 up to int(0.4·T), batch 1 after, same colours', async () => {
    const c = CASES[0] as Case
    const out = await generate(c, 3, {
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: 0.4 })
    })
    const cutoff = Math.trunc(0.4 * out.numTimesteps)
    // Both halves of the run are there (at 25 DDIM steps: indices 0…10 guided, 11…24 not).
    expect(cutoff).toBeGreaterThan(0)
    expect(cutoff).toBeLessThan(out.numTimesteps - 1)
    expect(out.steps.map((s) => [s.unetBatch, s.cfg])).toEqual(
      out.steps.map((s) => (s.index <= cutoff ? [2, true] : [1, false]))
    )
    // The dynamic batch axis took batch 1 as it is: no chunked fallback.
    expect(out.unetBatchFallback).toBeNull()
    expect(hasPromptColours(read(only(out), c), c)).toBe(true)
  })

  it('guidance 5 gets the prompt’s colours at least as often as guidance 1 (CFG off)', async () => {
    const seeds = [0, 1, 2, 3]
    const hits = { 1: 0, 5: 0 }
    for (const c of CASES) {
      for (const seed of seeds) {
        const images: RgbaImage[] = []
        for (const guidanceScale of [1, 5] as const) {
          const out = await generate(c, seed, { guidanceScale })
          // Guidance 1 turns CFG off (diffusers: guidance_scale > 1), so the UNet runs 1 row.
          const batch = guidanceScale > 1 ? 2 : 1
          expect(out.steps.every((s) => s.unetBatch === batch)).toBe(true)
          const image = only(out)
          if (hasPromptColours(read(image, c), c)) hits[guidanceScale]++
          images.push(image)
        }
        // Were the unconditional embeddings the conditional ones, guidance 5 would reproduce
        // guidance 1 exactly (uncond + 5·(cond − uncond) = cond).
        const [g1, g5] = images as [RgbaImage, RgbaImage]
        expect(Buffer.from(g5.data).equals(Buffer.from(g1.data))).toBe(false)
      }
    }
    // Measured 16 of 16 at both scales with the first export: this model's conditional UNet alone
    // already gets the colours right, so this guards against guidance hurting rather than
    // proving that it helps.
    const trials = CASES.length * seeds.length
    expect(hits[5]).toBeGreaterThanOrEqual(hits[1])
    expect(hits[5]).toBeGreaterThanOrEqual(trials - 1)
  })
})
