import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { BENCH_USAGE, parseBenchArgs } from './lib/bench-options'
import { renderChart } from './lib/chart-svg'
import { loadAverage, machineInfo, machineSlug } from './lib/machine-info'
import { previewMethodsTable, runPreviewMethodsBench } from './lib/preview-methods-bench'
import { runRealScale } from './lib/real-scale'
import { parseRealScaleArgs, REAL_SCALE_USAGE } from './lib/real-scale-options'
import { realScaleTable } from './lib/real-scale-report'
import { describeRun, markdownTable } from './lib/report-table'
import { measureStopNow, stopNowCases, stopNowTable } from './lib/stop-now-bench'
import { runBench } from './lib/run-bench'

/**
 * `npm run bench -- [options]` (scripts/bench.mjs builds first, then runs this through tsx).
 * Progress goes to stderr; stdout gets the JSON (--json) or the report table. A full run is
 * saved as bench/results/<date>-<time>-<machine>.json with its chart beside it (.svg).
 */
async function main(): Promise<void> {
  if (process.argv.includes('--real-scale')) {
    await realScale(process.argv.slice(2))
    return
  }
  if (process.argv.includes('--stop-now')) {
    await stopNow(process.argv.slice(2))
    return
  }
  let options
  try {
    options = parseBenchArgs(process.argv.slice(2))
  } catch (error) {
    console.error(`error: ${(error as Error).message}`)
    process.exit(2)
  }
  if (options === 'help') {
    console.log(BENCH_USAGE)
    return
  }
  const started = performance.now()
  const log = (line: string): void =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`)
  if (options.previewsOnly) {
    await previewsOnly(options, log, started)
    return
  }
  const result = await runBench(options, log)
  // The preview methods' own server and page, after the other items: their runs change the
  // model's preview decoder sessions and would otherwise be in the memory item's window.
  result.previewMethods = await runPreviewMethodsBench(options, log)
  result.durationS = (performance.now() - started) / 1000
  const json = JSON.stringify(result, null, 2)
  if (options.out !== null) writeFileSync(options.out, `${json}\n`)
  if (options.save) {
    const dir = join(__dirname, 'results')
    mkdirSync(dir, { recursive: true })
    const stamp = result.date.slice(0, 16).replace('T', '-').replace(':', '')
    const name = `${stamp}-${machineSlug(result.machine)}`
    writeFileSync(join(dir, `${name}.json`), `${json}\n`)
    writeFileSync(join(dir, `${name}.svg`), renderChart(result))
    console.error(`saved bench/results/${name}.json and .svg`)
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } else {
    console.log(`${describeRun(result)}\n\n${markdownTable(result)}`)
    console.log(`\nPreview methods:\n\n${previewMethodsTable(result.previewMethods)}`)
  }
}

/** `--previews-only`: the preview methods' cost and latency alone, saved beside the full runs. */
async function previewsOnly(
  options: Exclude<ReturnType<typeof parseBenchArgs>, 'help'>,
  log: (line: string) => void,
  started: number
): Promise<void> {
  const machine = machineInfo()
  const previewMethods = await runPreviewMethodsBench(options, log)
  const result = {
    date: new Date().toISOString(),
    mode: options.mode,
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    model: { dir: relative(join(__dirname, '..'), options.modelDir) },
    previewMethods,
    durationS: (performance.now() - started) / 1000
  }
  const json = JSON.stringify(result, null, 2)
  if (options.out !== null) writeFileSync(options.out, `${json}\n`)
  if (options.save) {
    const dir = join(__dirname, 'results')
    mkdirSync(dir, { recursive: true })
    const stamp = result.date.slice(0, 16).replace('T', '-').replace(':', '')
    const name = `${stamp}-${machineSlug(machine)}-previews.json`
    writeFileSync(join(dir, name), `${json}\n`)
    console.error(`saved bench/results/${name}`)
  }
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else console.log(previewMethodsTable(previewMethods))
}

/** `--real-scale`: the full-size measurements (bench/lib/real-scale.ts). */
async function realScale(argv: readonly string[]): Promise<void> {
  let options
  try {
    options = parseRealScaleArgs(argv)
  } catch (error) {
    console.error(`error: ${(error as Error).message}`)
    process.exit(2)
  }
  if (options === 'help') {
    console.log(REAL_SCALE_USAGE)
    return
  }
  const started = performance.now()
  const log = (line: string): void =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`)
  const result = await runRealScale(options, log)
  const json = JSON.stringify(result, null, 2)
  if (options.out !== null) writeFileSync(options.out, `${json}\n`)
  if (options.save) {
    const dir = join(__dirname, 'results')
    mkdirSync(dir, { recursive: true })
    const stamp = result.date.slice(0, 16).replace('T', '-').replace(':', '')
    const name = `${stamp}-${machineSlug(result.machine)}-real-scale.json`
    writeFileSync(join(dir, name), `${json}\n`)
    console.error(`saved bench/results/${name}`)
  }
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else console.log(realScaleTable(result))
}

/**
 * `--stop-now [--full-size DIR] [--no-save]`: "stop now" latency on the shipped model and, with
 * `--full-size`, on a full-size export (bench/lib/stop-now-bench.ts). Load the full-size model
 * under the machine's shared lock (bench/README.md).
 */
async function stopNow(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--full-size')
  const fullSize = at < 0 ? null : (argv[at + 1] ?? null)
  const started = performance.now()
  const log = (line: string): void =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`)
  const machine = machineInfo()
  const rows = []
  for (const c of stopNowCases(fullSize)) rows.push(await measureStopNow(c, 12 * 2 ** 30, log))
  const result = {
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    stopNow: rows
  }
  if (!argv.includes('--no-save')) {
    const dir = join(__dirname, 'results')
    mkdirSync(dir, { recursive: true })
    const stamp = result.date.slice(0, 16).replace('T', '-').replace(':', '')
    const name = `${stamp}-${machineSlug(machine)}-stop-now.json`
    writeFileSync(join(dir, name), `${JSON.stringify(result, null, 2)}\n`)
    console.error(`saved bench/results/${name}`)
  }
  console.log(stopNowTable(rows))
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  process.exit(1)
})
