import type { BenchResult, SizeResult } from './bench-result'

/**
 * The README's chart as a standalone SVG (no network, no dependencies): per-step time split
 * into UNet and loop overhead at both sizes, CFG-cutoff savings measured against predicted, and
 * the latencies against their targets.
 */

/** The chart's size in SVG units. */
const W = 900
const H = 330
const COLORS = { unet: '#4e79a7', overhead: '#e15759', measured: '#59a14f', predicted: '#bab0ac' }

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function text(x: number, y: number, s: string, opts = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${opts}>${esc(s)}</text>`
}

function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}"/>`
}

function label(r: SizeResult): string {
  return `${r.size.width}×${r.size.height}`
}

/** Panel 1: each size's step as 100 %, UNet vs everything else. */
function stepPanel(x0: number, sizes: SizeResult[]): string[] {
  const out = [text(x0, 40, 'Per-step time (CFG, previews every step)', 'font-weight="bold"')]
  const w = 250
  sizes.forEach((r, i) => {
    const y = 70 + i * 80
    const step = r.details.engine.stepMsCfg
    const overhead = r.loopOverheadMsPerStep
    const unet = step - overhead
    const fu = Math.max(0, Math.min(1, unet / step))
    out.push(text(x0, y - 6, `${label(r)}: ${step.toFixed(step < 10 ? 2 : 0)} ms per step`))
    out.push(
      rect(x0, y, w * fu, 22, COLORS.unet),
      rect(x0 + w * fu, y, w * (1 - fu), 22, COLORS.overhead)
    )
    out.push(
      text(
        x0,
        y + 40,
        `UNet ${unet.toFixed(unet < 10 ? 2 : 0)} ms · overhead ${overhead.toFixed(2)} ms (${(100 * r.loopOverheadFraction).toFixed(1)} %)`,
        'font-size="11"'
      )
    )
  })
  out.push(
    rect(x0, 250, 12, 12, COLORS.unet),
    text(x0 + 16, 260, 'UNet session.run', 'font-size="11"')
  )
  out.push(
    rect(x0 + 130, 250, 12, 12, COLORS.overhead),
    text(x0 + 146, 260, 'loop overhead', 'font-size="11"')
  )
  return out
}

/** Panel 2: measured vs predicted saving per cutoff ratio, both sizes. */
function cutoffPanel(x0: number, sizes: SizeResult[]): string[] {
  const out = [text(x0, 40, 'CFG cutoff: denoise time saved', 'font-weight="bold"')]
  const top = 60
  const h = 170
  const max = Math.max(
    0.3,
    ...sizes.flatMap((r) => r.cfgCutoff.flatMap((c) => [c.measuredSaving, c.predictedSaving]))
  )
  const scale = (v: number): number => (h * Math.max(0, v)) / max
  let x = x0
  for (const r of sizes) {
    for (const c of r.cfgCutoff) {
      out.push(
        rect(x, top + h - scale(c.predictedSaving), 14, scale(c.predictedSaving), COLORS.predicted)
      )
      out.push(
        rect(
          x + 14,
          top + h - scale(c.measuredSaving),
          14,
          scale(c.measuredSaving),
          COLORS.measured
        )
      )
      out.push(text(x + 2, top + h + 14, String(c.ratio), 'font-size="10"'))
      x += 36
    }
    out.push(text(x - 100, top + h + 30, label(r), 'font-size="11"'))
    x += 16
  }
  out.push(`<line x1="${x0}" y1="${top + h}" x2="${x}" y2="${top + h}" stroke="#666"/>`)
  out.push(text(x0, top - 4, `max ${(100 * max).toFixed(0)} %`, 'font-size="10"'))
  out.push(
    rect(x0, 250, 12, 12, COLORS.predicted),
    text(x0 + 16, 260, 'predicted', 'font-size="11"')
  )
  out.push(
    rect(x0 + 90, 250, 12, 12, COLORS.measured),
    text(x0 + 106, 260, 'measured', 'font-size="11"')
  )
  return out
}

/** Panel 3: preview p50/p95 and stop latency against their targets, both sizes. */
function latencyPanel(x0: number, sizes: SizeResult[]): string[] {
  const out = [text(x0, 40, 'Latencies vs targets (ms)', 'font-weight="bold"')]
  let y = 66
  for (const r of sizes) {
    const rows: [string, number, number][] = [
      ['preview p50', r.previewLatencyMs.p50, 16],
      ['preview p95', r.previewLatencyMs.p95, 33],
      ['stop', r.stopLatencyMs.p50, r.stopLatencyMs.stepMs + 50],
      ['main lag p99', r.mainLoopLagMsP99, 20]
    ]
    out.push(text(x0, y, label(r), 'font-size="11" font-weight="bold"'))
    y += 6
    for (const [name, value, target] of rows) {
      const max = Math.max(value, target) * 1.05
      const w = 150
      out.push(text(x0, y + 11, name, 'font-size="10"'))
      out.push(
        rect(
          x0 + 70,
          y + 2,
          (w * value) / max,
          10,
          value <= target ? COLORS.measured : COLORS.overhead
        )
      )
      const tx = x0 + 70 + (w * target) / max
      out.push(
        `<line x1="${tx.toFixed(1)}" y1="${y}" x2="${tx.toFixed(1)}" y2="${y + 14}" stroke="#000"/>`
      )
      out.push(text(x0 + 225, y + 11, value.toFixed(value < 100 ? 1 : 0), 'font-size="10"'))
      y += 16
    }
    y += 12
  }
  out.push(text(x0, 260, 'bar: measured (green met, red missed) · line: target', 'font-size="10"'))
  return out
}

/** The chart for one run. */
export function renderChart(result: BenchResult): string {
  const sizes = [result, result.at512]
  const m = result.machine
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    rect(0, 0, W, H, '#ffffff'),
    text(
      20,
      18,
      `Stepwise bench · ${result.date.slice(0, 16).replace('T', ' ')} UTC · ${result.model.id} · ${m.cpu}, ${m.cores} cores · load ${m.loadAverageAtStart.join(' ')}`,
      'font-size="11" fill="#444"'
    ),
    ...stepPanel(20, sizes),
    ...cutoffPanel(330, sizes),
    ...latencyPanel(620, sizes),
    text(
      20,
      300,
      'Medians over repetitions; see bench/README.md for how each figure is measured.',
      'font-size="10" fill="#444"'
    ),
    '</svg>'
  ]
  return parts.join('\n') + '\n'
}
