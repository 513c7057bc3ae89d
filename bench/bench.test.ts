import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { parseBenchArgs } from './lib/bench-options'
import { parseDiffusersReference, runDiffusersReference } from './lib/diffusers-reference'
import { DIFFUSERS_LOOP_LINE } from './lib/testing/diffusers-loop-output'

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
  // On Linux the inference process's RSS is read after forced collections in that process.
  const memory = (r.details as { browser: { memory: Record<string, unknown> } }).browser.memory
  if (process.platform === 'linux') expect(memory.inferenceRssRead).toBe('after-gc')
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

/** The preview methods' section: every method the model offers, at both sizes. */
function expectPreviewMethods(r: Record<string, unknown>): void {
  const sizes = r.sizes as Array<{ width: number; methods: Array<Record<string, unknown>> }>
  expect(sizes.map((s) => s.width)).toEqual([64, 512])
  for (const size of sizes) {
    // The shipped model has its own tiny decoder (the fixture fallback offers linear and vae).
    expect(size.methods.map((m) => m.method)).toEqual(['linear', 'tiny', 'vae'])
    for (const m of size.methods) {
      const path = `previewMethods.${size.width}.${String(m.method)}`
      expectFinite((m.previewMs as Record<string, unknown>).p50, `${path}.previewMs.p50`)
      expectFinite(m.addedFraction, `${path}.addedFraction`)
      expectFinite(m.stepMs, `${path}.stepMs`)
      // Latencies need painted steps, which a smoke run's few fast steps may not give.
      expect(Object.keys(m.previewLatencyMs as object).sort()).toEqual(['max', 'p50', 'p95'])
    }
  }
  // Fidelity: every step's preview against the final image, per method, on the shipped model.
  const fidelity = r.fidelity as { steps: number; methods: Array<Record<string, unknown>> }
  expect(fidelity.methods.map((m) => m.method)).toEqual(['linear', 'tiny', 'vae'])
  for (const m of fidelity.methods) {
    const mad = m.meanAbsDiffByStep as unknown[]
    expect(mad).toHaveLength(fidelity.steps)
    mad.forEach((v, i) => expectFinite(v, `previewMethods.fidelity.${String(m.method)}[${i}]`))
    expect((m.colourAccuracy as Array<{ step: number }>).map((a) => a.step)).toEqual([5, 10, 15])
    expect(m.greenOnWhiteFromStep).toHaveLength(1)
  }
  expect(Object.keys(r.targets as object).sort()).toEqual([
    'tinyAddsUnder5PctAt512',
    'tinyGreenOnWhiteFromMiddle',
    'tinyLatencyP95Under33Ms'
  ])
}

/** diffusers' own loop: skipped with a reason (smoke runs), or whole with both ratios. */
function expectDiffusersReference(result: Record<string, unknown>): void {
  const ref = result.diffusersReference as Record<string, unknown>
  if ('skipped' in ref) {
    expect(typeof ref.skipped).toBe('string')
    expect(result.loopOverheadVsDiffusers).toBeNull()
    expect(result.loopOverheadVsDiffusersCold).toBeNull()
    expect(result.loopOverheadVsDiffusersSameUnet).toBeNull()
    return
  }
  for (const key of ['python', 'torch', 'diffusers']) expect(typeof ref[key]).toBe('string')
  expect(ref).toMatchObject({ latentSize: 64, steps: 20, progressBar: true })
  expectFinite(ref.loopOverheadMsPerStep, 'diffusersReference.loopOverheadMsPerStep')
  expectFinite(ref.coldLoopOverheadMsPerStep, 'diffusersReference.coldLoopOverheadMsPerStep')
  expectFinite(result.loopOverheadVsDiffusers, 'loopOverheadVsDiffusers')
  expectFinite(result.loopOverheadVsDiffusersCold, 'loopOverheadVsDiffusersCold')
  // The same-UNet run: measured (with its ratio), or why not.
  const same = ref.sameUnet as Record<string, unknown> | null
  expect(same).not.toBeNull()
  if (same === null || 'skipped' in same) expect(result.loopOverheadVsDiffusersSameUnet).toBeNull()
  else expectFinite(result.loopOverheadVsDiffusersSameUnet, 'loopOverheadVsDiffusersSameUnet')
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
    expectPreviewMethods(result.previewMethods as Record<string, unknown>)
    // Null when the Python reference was skipped (smoke runs skip it).
    expect('loopOverheadVsPython' in result).toBe(true)
    if (result.loopOverheadVsPython !== null) {
      expectFinite(result.loopOverheadVsPython, 'loopOverheadVsPython')
    }
    expect(typeof (result.targets as Record<string, unknown>).loopOverheadVsPython).toBe('boolean')
    expect(typeof (result.targets as Record<string, unknown>).loopOverheadVsDiffusersSameUnet).toBe(
      'boolean'
    )
    // The cold-cache ratio comes with the reference: null exactly when it was skipped.
    if (result.loopOverheadVsPython === null) expect(result.loopOverheadVsPythonCold).toBeNull()
    else expectFinite(result.loopOverheadVsPythonCold, 'loopOverheadVsPythonCold')
    expectDiffusersReference(result)
  }, 360_000)

  it("takes the Python for diffusers' own loop from --diffusers-python or the environment", () => {
    vi.stubEnv('STEPWISE_DIFFUSERS_PYTHON', '/opt/venv/bin/python')
    try {
      expect(parseBenchArgs([])).toMatchObject({ diffusersPython: '/opt/venv/bin/python' })
      expect(parseBenchArgs(['--diffusers-python', process.execPath])).toMatchObject({
        diffusersPython: process.execPath
      })
      expect(parseBenchArgs(['--diffusers-python', 'python3'])).toMatchObject({
        diffusersPython: 'python3'
      })
      expect(() => parseBenchArgs(['--diffusers-python', '/nonexistent/bin/python'])).toThrow(
        '--diffusers-python: /nonexistent/bin/python does not exist'
      )
      expect(() => parseBenchArgs(['--diffusers-python'])).toThrow(
        '--diffusers-python needs a value'
      )
      vi.stubEnv('STEPWISE_DIFFUSERS_PYTHON', '')
      expect(parseBenchArgs([])).toMatchObject({ diffusersPython: null })
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it("says why diffusers' own loop was skipped, and reads what its script prints", async () => {
    expect(await runDiffusersReference(1, null)).toEqual({
      skipped:
        'no Python with diffusers given (--diffusers-python PATH or $STEPWISE_DIFFUSERS_PYTHON)'
    })
    expect(await runDiffusersReference(1, '/nonexistent/bin/python')).toEqual({
      skipped: '/nonexistent/bin/python does not exist'
    })
    // Debian's Python has torch but not diffusers on the machines this runs on; should one have
    // both, the reference must then come back whole.
    if (existsSync('/usr/bin/python3')) {
      const debian = await runDiffusersReference(1, '/usr/bin/python3')
      if ('skipped' in debian) {
        expect(debian.skipped).toMatch(/^\/usr\/bin\/python3 cannot import diffusers and torch/)
      } else {
        expectFinite(debian.loopOverheadMsPerStep, 'loopOverheadMsPerStep')
      }
    }
    // Real output (bench/lib/diffusers-reference.test.ts reads its sameUnet).
    const line = DIFFUSERS_LOOP_LINE
    expect(parseDiffusersReference(line)).toMatchObject({
      diffusers: '0.40.0.dev0',
      latentSize: 64,
      steps: 20,
      progressBar: true,
      loopOverheadMsPerStep: 0.250255500577623,
      coldLoopOverheadMsPerStep: 0.778236000041943
    })
    const noCold = line
      .replace('0.778236000041943', 'null')
      .replace('"evictMiB": 64', '"evictMiB": 0')
    expect(parseDiffusersReference(noCold).coldLoopOverheadMsPerStep).toBeNull()
    expect(() => parseDiffusersReference(line.replace('"diffusers": "0.40.0.dev0", ', ''))).toThrow(
      'diffusers is not a string'
    )
    expect(() => parseDiffusersReference(line.replace('0.250255500577623', 'NaN'))).toThrow()
  }, 120_000)
})
