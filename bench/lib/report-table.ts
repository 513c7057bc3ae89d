import type { BenchResult, SizeResult } from './bench-result'
import {
  LOOP_VS_DIFFUSERS_SAME_UNET_TARGET,
  LOOP_VS_PYTHON_TARGET,
  SNAPSHOT_TARGET,
  TARGETS
} from './targets'

const f = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v))
const pct = (v: number): string => `${f(100 * v, 1)} %`

function cells(r: SizeResult): Record<string, string> {
  return {
    loopOverheadMsPerStep: `${f(r.loopOverheadMsPerStep, 3)} ms (${pct(r.loopOverheadFraction)} of ${f(r.details.engine.stepMsCfg, 1)} ms)`,
    rawLoopRatio: f(r.rawLoopRatio, 3),
    cfgCutoff: r.cfgCutoff
      .map(
        (c) =>
          `${c.ratio}: ${pct(c.measuredSaving)}/${pct(c.predictedSaving)} = ${pct(c.efficiency)}`
      )
      .join('; '),
    cfgInterval: `${r.cfgInterval.startRatio}–${r.cfgInterval.endRatio}: ${pct(r.cfgInterval.measuredSaving)}/${pct(r.cfgInterval.predictedSaving)} = ${pct(r.cfgInterval.efficiency)}`,
    previewLatencyMs: `p50 ${f(r.previewLatencyMs.p50, 1)} ms, p95 ${f(r.previewLatencyMs.p95, 1)} ms`,
    stopLatencyMs: `${f(r.stopLatencyMs.p50, 0)} ms (step ${f(r.stopLatencyMs.stepMs, 1)} ms)`,
    mainLoopLagMsP99: `${f(r.mainLoopLagMsP99, 1)} ms (idle ${f(r.details.browser.idleLoopLagMsP99, 1)} ms)`,
    rssGrowthPct: `${f(r.rssGrowthPct, 1)} % (main ${f(r.details.browser.memory.mainRssMiB.growthPct, 1)} %)`
  }
}

/** A Markdown table of both sizes against the targets (printed by `npm run bench`, kept in README). */
export function markdownTable(result: BenchResult): string {
  const a = cells(result)
  const b = cells(result.at512)
  const mark = (met: boolean | undefined): string => (met === true ? '✅' : '❌')
  const { width, height, latentWidth, latentHeight } = result.size
  const lines = [
    `| item | target | ${width}×${height} (${latentWidth}×${latentHeight} latents) | 512×512 (64×64 latents) |`,
    '| --- | --- | --- | --- |'
  ]
  for (const [key, target] of Object.entries(TARGETS)) {
    lines.push(
      `| \`${key}\` | ${target.text} | ${mark(result.targets[key])} ${a[key]} | ${mark(result.at512.targets[key])} ${b[key]} |`
    )
  }
  const snap = result.snapshot
  lines.push(
    `| \`snapshotCaptureMsPerStep\` | ${SNAPSHOT_TARGET.text} | | ${mark(snap.met)} ${f(snap.captureMsPerStep, 3)} ms (p95 ${f(snap.captureMsP95, 3)} ms; file ${f(snap.details.fileBytes / 1024, 0)} KiB, written in ${f(snap.details.serializeMs, 1)} ms) |`
  )
  lines.push(...referenceRows(result))
  return lines.join('\n')
}

/** Ours against diffusers' loop around the same UNet, with the figures the ratio comes from. */
function sameUnetCell(result: BenchResult): string {
  const dif = result.diffusersReference
  if ('skipped' in dif) return `– (${dif.skipped})`
  const same = dif.sameUnet
  if (same === null) return '– (not measured)'
  if ('skipped' in same) return `– (${same.skipped})`
  const ratio = result.loopOverheadVsDiffusersSameUnet
  const mark = LOOP_VS_DIFFUSERS_SAME_UNET_TARGET.met(ratio) ? '✅' : '❌'
  return `${mark} ${ratio === null ? '–' : f(ratio, 2)} (ours ${f(result.at512.loopOverheadMsPerStep, 3)} ms/step ÷ diffusers ${dif.diffusers}'s loop around ${same.graph} ${f(same.loopOverheadMsPerStep, 3)} ms/step; its UNet ${f(same.unetMsPerStep, 1)} ms, onnxruntime ${same.onnxruntime} on ${same.intraOpThreads} threads, ${same.steps} steps × ${same.runs} runs)`
}

/** Our 512×512 loop overhead against the Python references: the lower bound and diffusers'. */
function referenceRows(result: BenchResult): string[] {
  const ratio = (v: number | null | undefined): string => (v == null ? '–' : f(v, 2))
  const py = result.pythonReference
  const pyCell =
    'skipped' in py
      ? `– (${py.skipped})`
      : `${ratio(result.loopOverheadVsPython)} (the lower bound: ${f(py.loopOverheadMsPerStep, 3)} ms/step, torch ${py.torch}; cold caches ${py.coldLoopOverheadMsPerStep == null ? '–' : f(py.coldLoopOverheadMsPerStep, 3)} ms/step, ours ÷ that ${ratio(result.loopOverheadVsPythonCold)})`
  const dif = result.diffusersReference
  const difCell =
    'skipped' in dif
      ? `– (${dif.skipped})`
      : `${ratio(result.loopOverheadVsDiffusers)} (diffusers ${dif.diffusers}'s pipeline loop: ${f(dif.loopOverheadMsPerStep, 3)} ms/step, torch ${dif.torch}; cold caches ${dif.coldLoopOverheadMsPerStep === null ? '–' : f(dif.coldLoopOverheadMsPerStep, 3)} ms/step, ours ÷ that ${ratio(result.loopOverheadVsDiffusersCold)})`
  return [
    `| \`loopOverheadVsPython\` | ${LOOP_VS_PYTHON_TARGET.text} | | ${result.loopOverheadVsPython === null ? '' : `${LOOP_VS_PYTHON_TARGET.met(result.loopOverheadVsPython) ? '✅' : '❌'} `}${pyCell} |`,
    `| \`loopOverheadVsDiffusers\` | none (what a diffusers user's loop costs) | | ${difCell} |`,
    `| \`loopOverheadVsDiffusersSameUnet\` | ${LOOP_VS_DIFFUSERS_SAME_UNET_TARGET.text} | | ${sameUnetCell(result)} |`
  ]
}

/** The cold-cache comparison, where the reference measured it. */
function coldNote(result: BenchResult): string {
  const ref = result.pythonReference
  const cold = 'skipped' in ref ? null : (ref.coldLoopOverheadMsPerStep ?? null)
  if (cold === null || 'skipped' in ref) return ''
  const ratio = result.loopOverheadVsPythonCold ?? null
  return `; with cold caches (its model call streams ${ref.evictMiB ?? 0} MiB, as a UNet does) Python's is ${f(cold, 3)} ms/step, ours ÷ that ${ratio === null ? '–' : f(ratio, 2)}`
}

/** The run's header line: when, where, how busy. */
export function describeRun(result: BenchResult): string {
  const m = result.machine
  const python =
    'skipped' in result.pythonReference
      ? `Python reference: ${result.pythonReference.skipped}`
      : `Python/PyTorch reference loop (torch ${result.pythonReference.torch}, 64×64 latents): ${f(result.pythonReference.loopOverheadMsPerStep, 3)} ms/step outside the model; ours at 64×64 latents ÷ Python's: ${result.loopOverheadVsPython === null ? '–' : f(result.loopOverheadVsPython, 2)} (target ≤ 1)${coldNote(result)}`
  const dif = result.diffusersReference
  const diffusers =
    'skipped' in dif
      ? `diffusers' own pipeline loop: ${dif.skipped}`
      : `diffusers' own StableDiffusionPipeline loop (diffusers ${dif.diffusers}, torch ${dif.torch}, 64×64 latents, tqdm ${dif.progressBar ? 'on' : 'off'}): ${f(dif.loopOverheadMsPerStep, 3)} ms/step outside the UNet; ours ÷ that: ${result.loopOverheadVsDiffusers === null ? '–' : f(result.loopOverheadVsDiffusers, 2)}; with cold caches ${dif.coldLoopOverheadMsPerStep === null ? '–' : f(dif.coldLoopOverheadMsPerStep, 3)} ms/step, ours ÷ that ${result.loopOverheadVsDiffusersCold === null ? '–' : f(result.loopOverheadVsDiffusersCold, 2)}`
  const same = 'skipped' in dif ? null : dif.sameUnet
  const sameUnet =
    same === null || 'skipped' in same
      ? null
      : `diffusers' loop around the same UNet (${same.graph}, onnxruntime ${same.onnxruntime}, ${same.intraOpThreads} intra-op threads): ${f(same.loopOverheadMsPerStep, 3)} ms/step outside the UNet (UNet ${f(same.unetMsPerStep, 1)} ms); ours ÷ that: ${result.loopOverheadVsDiffusersSameUnet === null ? '–' : f(result.loopOverheadVsDiffusersSameUnet, 2)} (target ≤ 1)`
  return [
    `${result.date} · ${result.mode} · ${result.model.dir} · ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB · ${m.os} · Node ${m.node} · onnxruntime ${m.onnxruntime}`,
    `load average at start ${m.loadAverageAtStart.join(' ')}, at end ${(m.loadAverageAtEnd ?? []).join(' ')} · ${f(result.durationS, 0)} s`,
    python,
    diffusers,
    ...(sameUnet === null ? [] : [sameUnet])
  ].join('\n')
}
