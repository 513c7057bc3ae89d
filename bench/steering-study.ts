import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CFGIntervalCallback,
  Generator,
  SDCFGCutoffCallback,
  StableDiffusionPipeline,
  type PipelineCallback,
  type RgbaImage
} from '../main/engine'
import { SHIPPED_MODEL } from './lib/bench-options'

/**
 * What guidance windows do on the shipped model: the same prompts ("a <colour> <shape> <place>
 * on a <colour> background", every colour pair, the four places) and seeds with guidance on
 * every step, none, ended early by a cutoff, and only inside an interval. Each picture is
 * judged by whether it has the prompt's colours (its border nearest to the background colour,
 * most other pixels nearest to the shape's), whether the shape sits in the named half, how far
 * its pixels are from the flat palette colours of the training pictures, and how far it is
 * from the picture with guidance on every step; each run's UNet batch per step is recorded. The shipped
 * model's own scheduler (DDIM) and step count (25).
 *
 *   npx tsx bench/steering-study.ts [--seeds N]      # writes tools/.work/steering-study.json
 *
 * Results are recorded in docs/steering.md.
 */

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
const SHAPES = ['circle', 'square', 'triangle'] as const

interface Config {
  label: string
  guidanceScale: number
  callback: () => PipelineCallback | null
}

const CONFIGS: Config[] = [
  { label: 'guidance 5 on every step', guidanceScale: 5, callback: () => null },
  { label: 'no guidance (scale 1)', guidanceScale: 1, callback: () => null },
  {
    label: 'cutoff at 40 % (window [0, int(0.4 T) + 1))',
    guidanceScale: 5,
    callback: () => new SDCFGCutoffCallback({ cutoffStepRatio: 0.4 })
  },
  {
    label: 'interval 20–80 %',
    guidanceScale: 5,
    callback: () => new CFGIntervalCallback({ startStepRatio: 0.2, endStepRatio: 0.8 })
  },
  {
    label: 'interval 0–50 %',
    guidanceScale: 5,
    callback: () => new CFGIntervalCallback({ startStepRatio: 0, endStepRatio: 0.5 })
  },
  {
    label: 'interval 50–100 %',
    guidanceScale: 5,
    callback: () => new CFGIntervalCallback({ startStepRatio: 0.5, endStepRatio: 1 })
  }
]

function nearest(r: number, g: number, b: number): Colour {
  let best: Colour = 'black'
  let bestDistance = Infinity
  for (const name of COLOURS) {
    const [pr, pg, pb] = PALETTE[name]
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2
    if (d < bestDistance) [best, bestDistance] = [name, d]
  }
  return best
}

type Place = 'on the left' | 'on the right' | 'at the top' | 'at the bottom'
const PLACES: readonly Place[] = ['on the left', 'on the right', 'at the top', 'at the bottom']

/** How a picture reads: the prompt's colours, the shape's place, how flat its colours are. */
interface Reading {
  colours: boolean
  /** The shape's pixels' centroid lies in the half the prompt names. */
  placed: boolean
  /** Mean RGB distance of every pixel to its nearest palette colour (training pictures: ~3). */
  offPalette: number
}

function read(img: RgbaImage, fg: Colour, bg: Colour, place: Place): Reading {
  const { width: w, height: h, data } = img
  let sx = 0
  let sy = 0
  let n = 0
  let off = 0
  for (let p = 0; p < w * h; p++) {
    const [r, g, b] = [data[p * 4] as number, data[p * 4 + 1] as number, data[p * 4 + 2] as number]
    const c = nearest(r, g, b)
    const [pr, pg, pb] = PALETTE[c]
    off += Math.sqrt((r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2)
    if (c !== fg) continue
    sx += p % w
    sy += Math.floor(p / w)
    n++
  }
  const [cx, cy] = n === 0 ? [w / 2, h / 2] : [sx / n / w, sy / n / h]
  const placed =
    n > 0 &&
    (place === 'on the left'
      ? cx < 0.5
      : place === 'on the right'
        ? cx > 0.5
        : place === 'at the top'
          ? cy < 0.5
          : cy > 0.5)
  return { colours: hasPromptColours(img, fg, bg), placed, offPalette: off / (w * h) }
}

/** Mean |a − b| over the RGB channels, 0–255. */
function difference(a: RgbaImage, b: RgbaImage): number {
  let sum = 0
  for (let i = 0; i < a.data.length; i++) {
    if (i % 4 !== 3) sum += Math.abs((a.data[i] as number) - (b.data[i] as number))
  }
  return sum / ((a.data.length / 4) * 3)
}

/** Whether a picture has the prompt's colours (as main/engine/default-model.test.ts judges). */
function hasPromptColours(img: RgbaImage, fg: Colour, bg: Colour): boolean {
  const { width: w, height: h, data } = img
  const border: number[][] = [[], [], []]
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x >= 2 && y >= 2 && x < w - 2 && y < h - 2) continue
      for (let c = 0; c < 3; c++) border[c]?.push(data[(y * w + x) * 4 + c] as number)
    }
  }
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0
  const background = nearest(med(border[0] ?? []), med(border[1] ?? []), med(border[2] ?? []))
  let off = 0
  let fore = 0
  for (let p = 0; p < w * h; p++) {
    const n = nearest(data[p * 4] as number, data[p * 4 + 1] as number, data[p * 4 + 2] as number)
    if (n === bg) continue
    off++
    if (n === fg) fore++
  }
  return background === bg && off > 0 && fore / off >= 0.5 && fore / (w * h) >= 0.02
}

/** A run's UNet batch per step as a strip: ▮ guided (batch 2), ▯ unguided (batch 1). */
function strip(batches: number[]): string {
  return batches.map((b) => (b > 1 ? '▮' : '▯')).join('')
}

async function main(): Promise<void> {
  const seedsArg = process.argv.indexOf('--seeds')
  const seeds = seedsArg >= 0 ? Number(process.argv[seedsArg + 1]) : 2
  const pipe = await StableDiffusionPipeline.fromPretrained(SHIPPED_MODEL, {
    executionProviders: ['cpu']
  })
  const cases = COLOURS.flatMap((fg) => COLOURS.filter((bg) => bg !== fg).map((bg) => ({ fg, bg })))
  const rows: Record<string, unknown>[] = []
  const reference = new Map<string, RgbaImage>()
  try {
    for (const config of CONFIGS) {
      const tally = { colours: 0, placed: 0, offPalette: 0, difference: 0, total: 0 }
      let guidedRows = 0
      let allRows = 0
      let example: number[] = []
      for (const [i, { fg, bg }] of cases.entries()) {
        const shape = SHAPES[i % SHAPES.length] as string
        const place = PLACES[i % PLACES.length] as Place
        for (let s = 0; s < seeds; s++) {
          const out = await pipe.call({
            prompt: `a ${fg} ${shape} ${place} on a ${bg} background`,
            guidanceScale: config.guidanceScale,
            generator: new Generator().manualSeed(1000 + s),
            callbackOnStepEnd: config.callback()
          })
          const image = out.images[0] as RgbaImage
          const key = `${i}/${s}`
          if (!reference.has(key)) reference.set(key, image)
          const r = read(image, fg, bg, place)
          tally.total++
          if (r.colours) tally.colours++
          if (r.placed) tally.placed++
          tally.offPalette += r.offPalette
          tally.difference += difference(image, reference.get(key) as RgbaImage)
          guidedRows += out.steps.reduce((a, st) => a + st.unetBatch, 0)
          allRows += out.steps.length * 2
          example = out.steps.map((st) => st.unetBatch)
        }
      }
      const row = {
        config: config.label,
        images: tally.total,
        promptColours: tally.colours / tally.total,
        placed: tally.placed / tally.total,
        offPalette: tally.offPalette / tally.total,
        differenceFromFullGuidance: tally.difference / tally.total,
        unetRowsSaved: 1 - guidedRows / allRows,
        strip: strip(example)
      }
      rows.push(row)
      process.stderr.write(`${JSON.stringify(row)}\n`)
    }
  } finally {
    await pipe.release()
  }
  const dir = join(__dirname, '..', 'tools', '.work')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'steering-study.json'), `${JSON.stringify(rows, null, 1)}\n`)
  const pct = (v: unknown): string => `${(100 * (v as number)).toFixed(1)} %`
  for (const r of rows) {
    process.stdout.write(
      `| ${String(r.config)} | \`${String(r.strip)}\` | ${pct(r.unetRowsSaved)} | ${pct(r.promptColours)} | ${pct(r.placed)} | ${(r.offPalette as number).toFixed(1)} | ${(r.differenceFromFullGuidance as number).toFixed(1)} |\n`
    )
  }
}

void main()
