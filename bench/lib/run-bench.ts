import { basename, dirname, relative, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { launchChromium } from '../../e2e/fixtures/chromium'
import { AutoPipelineForText2Image, defaultIntraOpThreads } from '../../main/engine'
import { ApiSocket } from './api-socket'
import { AppRunner } from './app-runs'
import { clockOffset, openAppPage } from './app-page'
import { startAppServer } from './app-server'
import { BareLoop } from './bare-loop'
import type { BenchOptions, SizePlan } from './bench-options'
import { PLANS, SHIPPED_MODEL } from './bench-options'
import type { BenchResult, SizeResult } from './bench-result'
import type { BrowserResult } from './browser-bench'
import { runBrowserBench } from './browser-bench'
import { ratioToSameUnet, runDiffusersReference } from './diffusers-reference'
import type { EngineResult } from './engine-bench'
import { runEngineBench } from './engine-bench'
import { loadAverage, machineInfo } from './machine-info'
import { runPythonReference } from './python-reference'
import { runSnapshotBench } from './snapshot-bench'
import {
  evaluateTargets,
  LOOP_VS_DIFFUSERS_SAME_UNET_TARGET,
  LOOP_VS_PYTHON_TARGET,
  SNAPSHOT_TARGET
} from './targets'

const ROOT = join(__dirname, '..', '..')
const SEED = 1234

interface Size {
  width: number
  height: number
  plan: SizePlan
}

function combine(
  size: Size,
  latentScale: number,
  engine: EngineResult,
  browser: BrowserResult
): SizeResult {
  const base = {
    size: {
      width: size.width,
      height: size.height,
      latentWidth: size.width / latentScale,
      latentHeight: size.height / latentScale
    },
    loopOverheadMsPerStep: engine.loopOverheadMsPerStep,
    loopOverheadFraction: engine.loopOverheadFraction,
    rawLoopRatio: engine.rawLoopRatio,
    cfgCutoff: engine.cfgCutoff,
    cfgInterval: engine.cfgInterval,
    previewLatencyMs: browser.previewLatencyMs,
    stopLatencyMs: browser.stopLatencyMs,
    mainLoopLagMsP99: browser.mainLoopLagMsP99,
    rssGrowthPct: browser.rssGrowthPct
  }
  return {
    ...base,
    targets: evaluateTargets(base),
    details: { engine: engine.details, browser: browser.details }
  }
}

/**
 * Runs every item at the model's native size and at 512×512 against one browser-mode server
 * (the built `out/main/server.js` and its inference process): items 1–3 through its API with no
 * page open (plus the bare loop in a process of its own), items 4–7 with the built renderer in
 * headless Chromium. `log` gets progress lines.
 */
export async function runBench(
  options: BenchOptions,
  log: (line: string) => void
): Promise<BenchResult> {
  const started = performance.now()
  const machine = machineInfo()
  const plans = PLANS[options.mode]
  const pipe = await AutoPipelineForText2Image.fromPretrained(options.modelDir, {
    executionProviders: ['cpu']
  })
  const { width, height } = pipe.defaults
  const latentScale = pipe.vaeScaleFactor
  await pipe.release()
  const sizes: Size[] = [
    { width, height, plan: plans.native },
    { width: 512, height: 512, plan: plans.at512 }
  ]
  log(
    `Stepwise bench (${options.mode}): ${relative(ROOT, options.modelDir)}, ${width}×${height} and 512×512; load average ${machine.loadAverageAtStart.join(' ')}`
  )

  const modelId = basename(options.modelDir)
  const [server, browser] = await Promise.all([
    startAppServer(dirname(options.modelDir)),
    launchChromium()
  ])
  const socket = await ApiSocket.connect(server.origin, server.token)
  const bare = new BareLoop()
  const runner = new AppRunner(socket, modelId)
  const engine: EngineResult[] = []
  const browserResults: BrowserResult[] = []
  let offset: BenchResult['clockOffsetMs']
  try {
    const page = await openAppPage(browser, server, modelId)
    offset = await clockOffset(page)
    await page.close()
    for (const size of sizes) {
      const at = { width: size.width, height: size.height, seed: SEED }
      // Items 1–3 with no page open: the app's server and inference process, the bench's
      // socket as the only client, so no renderer competes for the cores.
      log(`items 1–3 at ${size.width}×${size.height} (app API, inference process, bare loop)`)
      engine.push(
        await runEngineBench(runner, bare, options.modelDir, { ...size.plan.engine, ...at }, log)
      )
      log(`items 4–7 at ${size.width}×${size.height} (browser mode, headless Chromium)`)
      browserResults.push(
        await runBrowserBench(
          browser,
          server,
          socket,
          modelId,
          { ...size.plan.browser, ...at },
          log
        )
      )
    }
  } finally {
    await bare.close()
    await browser.close()
    socket.close()
    await server.stop()
  }

  log('item 8: a run snapshot after every step, at 512×512 (64×64 latents), in this process')
  const snapshot = await runSnapshotBench(
    options.modelDir,
    { width: 512, height: 512, steps: plans.snapshotSteps, seed: SEED },
    log
  )

  let pythonReference: BenchResult['pythonReference'] = {
    skipped: `not run in ${options.mode} mode (full runs only)`
  }
  let diffusersReference: BenchResult['diffusersReference'] = {
    skipped: `not run in ${options.mode} mode (full runs only)`
  }
  if (plans.pythonRuns !== null) {
    log('Python/PyTorch reference loop at 64×64 latents')
    pythonReference = await runPythonReference(plans.pythonRuns)
    log("diffusers' own StableDiffusionPipeline loop at 64×64 latents")
    // Then around our own UNet graph, at the 512² plan's steps and the app's thread count.
    diffusersReference = await runDiffusersReference(plans.pythonRuns, options.diffusersPython, {
      graph: join(options.modelDir, 'unet', 'model.onnx'),
      steps: plans.at512.engine.steps,
      intraOpThreads: defaultIntraOpThreads()
    })
  }

  const [nativeSize, size512] = sizes as [Size, Size]
  const native = combine(
    nativeSize,
    latentScale,
    engine[0] as EngineResult,
    browserResults[0] as BrowserResult
  )
  const at512 = combine(
    size512,
    latentScale,
    engine[1] as EngineResult,
    browserResults[1] as BrowserResult
  )
  const shipped = options.modelDir === SHIPPED_MODEL
  const notes = [
    shipped
      ? 'model: the shipped default model'
      : `model: ${relative(ROOT, options.modelDir)}${options.modelDir.endsWith('tiny-sd-random') ? ' (the shipped model was not present)' : ''}`,
    'rssGrowthPct is the inference process (where the pipeline and its tensors live); the main (server) process is in details.browser.memory',
    'loop overhead, raw-loop ratio and CFG cutoff: EulerDiscreteScheduler, guidance 7.5, previews every step, CPU execution provider'
  ]
  if (options.mode !== 'full') {
    notes.push(
      `${options.mode} mode: few steps and repetitions; the recorded figures are full runs`
    )
  }
  // Like with like: the Python loop runs at 64×64 latents, which is the 512×512 row here.
  const loopOverheadVsPython =
    'skipped' in pythonReference
      ? null
      : at512.loopOverheadMsPerStep / pythonReference.loopOverheadMsPerStep
  const coldPython =
    'skipped' in pythonReference ? null : (pythonReference.coldLoopOverheadMsPerStep ?? null)
  const loopOverheadVsPythonCold =
    coldPython === null ? null : at512.loopOverheadMsPerStep / coldPython
  const loopOverheadVsDiffusers =
    'skipped' in diffusersReference
      ? null
      : at512.loopOverheadMsPerStep / diffusersReference.loopOverheadMsPerStep
  const coldDiffusers =
    'skipped' in diffusersReference ? null : diffusersReference.coldLoopOverheadMsPerStep
  const loopOverheadVsDiffusersCold =
    coldDiffusers === null ? null : at512.loopOverheadMsPerStep / coldDiffusers
  const loopOverheadVsDiffusersSameUnet = ratioToSameUnet(
    at512.loopOverheadMsPerStep,
    diffusersReference
  )
  return {
    date: new Date().toISOString(),
    mode: options.mode,
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    model: { dir: relative(ROOT, options.modelDir), id: modelId, shipped },
    ...native,
    targets: {
      ...native.targets,
      loopOverheadVsPython: LOOP_VS_PYTHON_TARGET.met(loopOverheadVsPython),
      loopOverheadVsDiffusersSameUnet: LOOP_VS_DIFFUSERS_SAME_UNET_TARGET.met(
        loopOverheadVsDiffusersSameUnet
      )
    },
    at512,
    snapshot: { ...snapshot, met: SNAPSHOT_TARGET.met(snapshot.captureMsPerStep) },
    pythonReference,
    loopOverheadVsPython,
    loopOverheadVsPythonCold,
    diffusersReference,
    loopOverheadVsDiffusers,
    loopOverheadVsDiffusersCold,
    loopOverheadVsDiffusersSameUnet,
    clockOffsetMs: offset,
    durationS: (performance.now() - started) / 1000,
    notes
  }
}
