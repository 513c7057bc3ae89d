/**
 * Per-step cost of each preview method on the shipped model, against the cost of a denoising step,
 * at 64×64 (its native size) and 512×512. A quick measurement for docs/default-model.md until
 * `npm run bench` records it.
 *
 *   npx tsx tools/measure_preview_cost.ts [--sizes 64,512] [--repeats 7] [--threads N]
 *
 * For each size: a 6-step DDIM run (guidance 5, the defaults) without previews gives the step time
 * (median of the steps' wall times); then each method renders the run's last predicted x0
 * `repeats` times through `pipeline.previews` (what PreviewCallback calls) and the median is
 * reported, with its share of a step. Finally one run per method with a PreviewCallback on every
 * step gives the step time as a user sees it. Timings are wall times on whatever else the machine
 * is doing: compare numbers from one invocation only.
 */
import path from 'node:path'
import {
  AutoPipelineForText2Image,
  Generator,
  PreviewCallback,
  type PreviewMethodName,
  type StepEndInfo
} from '../main/engine/index'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

const MODEL = path.resolve(__dirname, '../resources/models/stepwise-shapes-64')
const sizes = arg('sizes', '64,512').split(',').map(Number)
const repeats = Number(arg('repeats', '7'))
const threads = process.argv.includes('--threads') ? Number(arg('threads', '2')) : undefined
const METHODS: PreviewMethodName[] = ['linear', 'tiny', 'vae']

async function main(): Promise<void> {
  const pipe = await AutoPipelineForText2Image.fromPretrained(MODEL, {
    executionProviders: ['cpu'],
    ...(threads === undefined ? {} : { intraOpNumThreads: threads })
  })
  const rows: string[] = []
  for (const size of sizes) {
    const call = {
      prompt: 'a green square on a white background',
      numInferenceSteps: 6,
      width: size,
      height: size,
      generator: new Generator().manualSeed(7)
    }
    let x0 = null as StepEndInfo['predOriginalSample']
    // Warm-up run (session creation, first-run allocations), then the measured one.
    await pipe.call({ ...call, generator: new Generator().manualSeed(7) })
    const plain = await pipe.call({
      ...call,
      onStepEnd: (info) => {
        x0 = info.predOriginalSample
      }
    })
    if (x0 === null) throw new Error('DDIM gave no predicted x0')
    const stepMs = median(plain.steps.map((s) => s.ms))
    const costs: Record<string, number> = {}
    for (const method of METHODS) {
      await pipe.previews.render(x0, method) // warm-up: creates the decoder session
      const times: number[] = []
      for (let r = 0; r < repeats; r++) times.push((await pipe.previews.render(x0, method)).ms)
      costs[method] = median(times)
    }
    const withPreviews: Record<string, number> = {}
    for (const method of METHODS) {
      const out = await pipe.call({
        ...call,
        generator: new Generator().manualSeed(7),
        callbackOnStepEnd: new PreviewCallback({ method, onPreview: () => undefined })
      })
      withPreviews[method] = median(out.steps.map((s) => s.ms))
    }
    for (const method of METHODS) {
      const c = costs[method] as number
      rows.push(
        `| ${size}×${size} | ${method} | ${c.toFixed(2)} ms | ${((100 * c) / stepMs).toFixed(2)} % | ${stepMs.toFixed(1)} ms | ${(withPreviews[method] as number).toFixed(1)} ms |`
      )
    }
    console.log(`${size}×${size}: step ${stepMs.toFixed(1)} ms`, costs, withPreviews)
  }
  await pipe.release()
  console.log(
    '\n| size | method | preview (median) | of a step | step without previews | step with this preview |'
  )
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(r)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
