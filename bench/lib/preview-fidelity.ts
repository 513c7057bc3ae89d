import { basename } from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import {
  AutoPipelineForText2Image,
  Generator,
  type PreviewMethodName,
  type RgbaImage
} from '../../main/engine'
import { readShapeColours } from '../../testing/shape-colours'
import type { BenchMode } from './bench-options'
import { round } from './stats'

/**
 * How closely each preview method shows the final image (issue 16), on the shipped model's own
 * kind of prompts: "a <fg> <shape> on a <bg> background" at the model's defaults (DDIM, 25 steps,
 * guidance 5). Every step's predicted clean latents (x0, what the app previews) are previewed with
 * each method through the engine's own renderer, so all methods see the same trajectory; the
 * Python evaluation of the same quantities on 336 images is tools/evaluate_previews.py
 * (docs/default-model.md, "Preview methods compared").
 */

/** One method's fidelity over the prompts. */
export interface PreviewFidelityRow {
  method: PreviewMethodName
  /**
   * Per step: mean absolute difference (0–255 levels, RGB) between the step's preview and the
   * final image at full resolution; `linear` previews are enlarged by repeating pixels, as the app
   * shows them. Mean over prompts.
   */
  meanAbsDiffByStep: number[]
  /**
   * Share of previews (0–1) at these steps (0-based) whose foreground and background colours read
   * as the prompt's (testing/shape-colours.ts, tools/shapes.py's `check_image`).
   */
  colourAccuracy: Array<{ step: number; both: number; fg: number; bg: number }>
  /**
   * "A green square on a white background", per seed: the first step from which every later
   * preview reads green on white (null: not even the last step's).
   */
  greenOnWhiteFromStep: Array<number | null>
}

/** The fidelity section of the bench's preview-methods result. */
export interface PreviewFidelityResult {
  prompts: number
  seeds: number
  steps: number
  /** Share of final images whose colours read as the prompt's (the classifier's own ceiling). */
  finalColourAccuracy: number
  methods: PreviewFidelityRow[]
}

const COLOURS = ['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'white', 'black']
const SHAPES = ['circle', 'square', 'triangle']
const CHECK_STEPS = [5, 10, 15]

/** All 168 colour × colour × shape captions of the evaluation set, in a fixed order. */
function allCaptions(): Array<{ prompt: string; fg: string; bg: string }> {
  const out: Array<{ prompt: string; fg: string; bg: string }> = []
  for (const shape of SHAPES) {
    for (const fg of COLOURS) {
      for (const bg of COLOURS) {
        if (fg !== bg) out.push({ prompt: `a ${fg} ${shape} on a ${bg} background`, fg, bg })
      }
    }
  }
  return out
}

const PLANS: Record<BenchMode, { prompts: number; seeds: number; greenSeeds: number }> = {
  full: { prompts: 24, seeds: 2, greenSeeds: 8 },
  quick: { prompts: 6, seeds: 1, greenSeeds: 2 },
  smoke: { prompts: 1, seeds: 1, greenSeeds: 1 }
}

/** `image` enlarged by a whole factor to `width`×`height` (nearest pixel), or as it is. */
function enlarge(image: RgbaImage, width: number, height: number): RgbaImage {
  if (image.width === width && image.height === height) return image
  const fx = width / image.width
  const fy = height / image.height
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / fy)
    for (let x = 0; x < width; x++) {
      const s = (sy * image.width + Math.floor(x / fx)) * 4
      data.set(image.data.subarray(s, s + 4), (y * width + x) * 4)
    }
  }
  return { width, height, data }
}

function meanAbsDiff(a: RgbaImage, b: RgbaImage): number {
  let sum = 0
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++)
      sum += Math.abs((a.data[i + c] as number) - (b.data[i + c] as number))
  }
  return sum / ((a.data.length / 4) * 3)
}

/** One run: the final image and every step's preview by each method. */
async function previewsOf(
  pipe: Awaited<ReturnType<typeof AutoPipelineForText2Image.fromPretrained>>,
  prompt: string,
  seed: number,
  methods: readonly PreviewMethodName[]
): Promise<{ image: RgbaImage; previews: Map<PreviewMethodName, RgbaImage[]> }> {
  const x0s: Tensor[] = []
  const out = await pipe.call({
    prompt,
    generator: new Generator().manualSeed(seed),
    onStepEnd: (info) => {
      x0s.push(info.predOriginalSample ?? info.latents)
    }
  })
  const image = out.images[0] as RgbaImage
  const previews = new Map<PreviewMethodName, RgbaImage[]>()
  for (const method of methods) {
    const frames: RgbaImage[] = []
    for (const x0 of x0s) {
      const rendered = await pipe.previews.render(x0, method)
      frames.push(enlarge(rendered.image, image.width, image.height))
    }
    previews.set(method, frames)
  }
  return { image, previews }
}

/**
 * Measures fidelity per method on the shipped model (`modelDir` must be stepwise-shapes-64: the
 * prompts and the colour reading are its own); null for any other model.
 */
export async function runPreviewFidelity(
  modelDir: string,
  mode: BenchMode,
  log: (line: string) => void
): Promise<PreviewFidelityResult | null> {
  if (basename(modelDir) !== 'stepwise-shapes-64') return null
  const plan = PLANS[mode]
  const captions = allCaptions()
  const stride = Math.floor(captions.length / plan.prompts)
  const chosen =
    mode === 'smoke'
      ? [{ prompt: 'a green square on a white background', fg: 'green', bg: 'white' }]
      : Array.from({ length: plan.prompts }, (_, i) => captions[i * stride + (i % stride)])
  const pipe = await AutoPipelineForText2Image.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  try {
    const methods = pipe.previews.availableMethods
    log(`preview fidelity: ${chosen.length} prompts × ${plan.seeds} seeds, ${methods.join(', ')}`)
    const diffs = new Map(methods.map((m) => [m, [] as number[][]]))
    const hits = new Map(
      methods.map((m) => [m, CHECK_STEPS.map(() => ({ both: 0, fg: 0, bg: 0 }))])
    )
    let finalHits = 0
    let runs = 0
    let steps = 0
    for (const [p, caption] of chosen.entries()) {
      if (caption === undefined) continue
      for (let s = 0; s < plan.seeds; s++) {
        const { image, previews } = await previewsOf(
          pipe,
          caption.prompt,
          1000 + p * plan.seeds + s,
          methods
        )
        runs++
        const final = readShapeColours(image)
        if (final.fg === caption.fg && final.bg === caption.bg) finalHits++
        for (const method of methods) {
          const frames = previews.get(method) ?? []
          steps = frames.length
          diffs.get(method)?.push(frames.map((f) => meanAbsDiff(f, image)))
          for (const [k, step] of CHECK_STEPS.entries()) {
            const frame = frames[step]
            const hit = hits.get(method)?.[k]
            if (frame === undefined || hit === undefined) continue
            const read = readShapeColours(frame)
            if (read.fg === caption.fg) hit.fg++
            if (read.bg === caption.bg) hit.bg++
            if (read.fg === caption.fg && read.bg === caption.bg) hit.both++
          }
        }
      }
    }
    const green = new Map(methods.map((m) => [m, [] as Array<number | null>]))
    for (let seed = 0; seed < plan.greenSeeds; seed++) {
      const { previews } = await previewsOf(
        pipe,
        'a green square on a white background',
        seed,
        methods
      )
      for (const method of methods) {
        const reads = (previews.get(method) ?? []).map((f) => {
          const c = readShapeColours(f)
          return c.fg === 'green' && c.bg === 'white'
        })
        let from: number | null = null
        for (let i = reads.length - 1; i >= 0 && reads[i] === true; i--) from = i
        green.get(method)?.push(from)
      }
    }
    const rows = methods.map((method): PreviewFidelityRow => {
      const perRun = diffs.get(method) ?? []
      return {
        method,
        meanAbsDiffByStep: Array.from({ length: steps }, (_, i) =>
          round(perRun.reduce((sum, d) => sum + (d[i] ?? 0), 0) / perRun.length, 1)
        ),
        colourAccuracy: CHECK_STEPS.filter((step) => step < steps).map((step, k) => {
          const hit = hits.get(method)?.[k] ?? { both: 0, fg: 0, bg: 0 }
          return {
            step,
            both: round(hit.both / runs, 3),
            fg: round(hit.fg / runs, 3),
            bg: round(hit.bg / runs, 3)
          }
        }),
        greenOnWhiteFromStep: green.get(method) ?? []
      }
    })
    for (const row of rows) {
      const mad = row.meanAbsDiffByStep
      log(
        `  ${row.method}: |Δ| step 0 ${String(mad[0])}, middle ${String(mad[Math.floor(steps / 2)])}, last ${String(mad.at(-1))}; colours ${row.colourAccuracy.map((a) => `${a.step}: ${(100 * a.both).toFixed(0)} %`).join(', ')}; green on white from ${row.greenOnWhiteFromStep.map((s) => (s === null ? '–' : String(s))).join(' / ')}`
      )
    }
    return {
      prompts: chosen.length,
      seeds: plan.seeds,
      steps,
      finalColourAccuracy: round(finalHits / runs, 3),
      methods: rows
    }
  } finally {
    await pipe.release()
  }
}

/** A Markdown table of the fidelity rows (every third step, and the colour accuracy). */
export function previewFidelityTable(result: PreviewFidelityResult): string {
  const shown = Array.from({ length: result.steps }, (_, i) => i).filter(
    (i) => i % 3 === 0 || i === result.steps - 1
  )
  const lines = [
    `| method | ${shown.map((i) => `step ${i}`).join(' | ')} | colours right (steps ${CHECK_STEPS.join(' / ')}) | green on white from step (per seed) |`,
    `| --- | ${shown.map(() => '---').join(' | ')} | --- | --- |`
  ]
  for (const r of result.methods) {
    lines.push(
      `| \`${r.method}\` | ${shown.map((i) => (r.meanAbsDiffByStep[i] ?? 0).toFixed(1)).join(' | ')} | ${r.colourAccuracy.map((a) => `${(100 * a.both).toFixed(0)} %`).join(' / ')} | ${r.greenOnWhiteFromStep.map((s) => (s === null ? '–' : String(s))).join(' / ')} |`
    )
  }
  return lines.join('\n')
}
