import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

/**
 * Smoke test of `npm run bench`: the benchmark still runs end to end and prints the JSON the
 * issue specifies. Benchmarks are not tests, so nothing here judges a number; `--smoke` is the
 * smallest run that still measures every item at both sizes (a few steps, one repetition).
 */

const root = join(__dirname, '..')

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

beforeAll(async () => {
  const build = await run([join(root, 'scripts/ensure-build.mjs')])
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`)
}, 300_000)

/** Fails with the path of the first value that is not a finite number. */
function expectFinite(value: unknown, path: string): void {
  expect(typeof value === 'number' && Number.isFinite(value), `${path} = ${String(value)}`).toBe(
    true
  )
}

function expectSizeResult(r: Record<string, unknown>, path: string): void {
  for (const key of [
    'loopOverheadMsPerStep',
    'loopOverheadFraction',
    'rawLoopRatio',
    'mainLoopLagMsP99',
    'rssGrowthPct'
  ]) {
    expectFinite(r[key], `${path}.${key}`)
  }
  const preview = r.previewLatencyMs as Record<string, unknown>
  expect(Object.keys(preview).sort()).toEqual(['p50', 'p95'])
  expectFinite(preview.p50, `${path}.previewLatencyMs.p50`)
  expectFinite(preview.p95, `${path}.previewLatencyMs.p95`)
  const stop = r.stopLatencyMs as Record<string, unknown>
  expect(Object.keys(stop).sort()).toEqual(['p50', 'stepMs'])
  expectFinite(stop.p50, `${path}.stopLatencyMs.p50`)
  expectFinite(stop.stepMs, `${path}.stopLatencyMs.stepMs`)
  const rows = r.cfgCutoff as Record<string, unknown>[]
  expect(rows.map((row) => row.ratio)).toEqual([0.2, 0.4, 0.6])
  for (const [i, row] of rows.entries()) {
    expect(Object.keys(row).sort()).toEqual([
      'efficiency',
      'measuredSaving',
      'predictedSaving',
      'ratio'
    ])
    for (const key of ['measuredSaving', 'predictedSaving', 'efficiency']) {
      expectFinite(row[key], `${path}.cfgCutoff[${i}].${key}`)
    }
  }
  const interval = r.cfgInterval as Record<string, unknown>
  expect(interval).toMatchObject({ startRatio: 0.2, endRatio: 0.8 })
  for (const key of ['measuredSaving', 'predictedSaving', 'efficiency']) {
    expectFinite(interval[key], `${path}.cfgInterval.${key}`)
  }
}

describe('npm run bench', () => {
  it('--smoke --json prints exactly one JSON object with every item at both sizes', async () => {
    const { code, stdout, stderr } = await run([
      join(root, 'scripts/bench.mjs'),
      '--smoke',
      '--json'
    ])
    expect(code, stderr).toBe(0)
    expect(stdout.trim().split('\n')).toHaveLength(1)
    const result = JSON.parse(stdout) as Record<string, unknown>
    expect(result.mode).toBe('smoke')
    expect(Number.isNaN(Date.parse(String(result.date)))).toBe(false)
    const machine = result.machine as Record<string, unknown>
    for (const key of ['cpu', 'os', 'node', 'onnxruntime'])
      expect(typeof machine[key]).toBe('string')
    expectFinite(machine.cores, 'machine.cores')
    expectFinite(machine.ramGiB, 'machine.ramGiB')
    expect(machine.loadAverageAtStart).toHaveLength(3)
    expectSizeResult(result, 'result')
    const at512 = result.at512 as Record<string, unknown>
    expect(at512.size).toMatchObject({ width: 512, height: 512, latentWidth: 64, latentHeight: 64 })
    expectSizeResult(at512, 'at512')
    const snapshot = result.snapshot as Record<string, unknown>
    expectFinite(snapshot.captureMsPerStep, 'snapshot.captureMsPerStep')
    expectFinite(snapshot.captureMsP95, 'snapshot.captureMsP95')
    expect(typeof snapshot.met).toBe('boolean')
    expect(snapshot.details).toMatchObject({ latentWidth: 64, latentHeight: 64 })
  }, 300_000)
})
