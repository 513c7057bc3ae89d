import type { RealScaleResult } from './real-scale'

/** A markdown table of a result, for the terminal and bench/README.md. */
export function realScaleTable(r: RealScaleResult): string {
  const lines = [
    '| UNet, batch 2 | attention | memory pattern | load (s) | time per run (ms) | peak RSS (GiB) |',
    '|---|---|---|---|---|---|'
  ]
  for (const u of r.unet) {
    const time =
      u.stopped !== null && u.runMs.length === 0
        ? u.stopped
        : `${u.runMs.join(', ')}${u.stopped === null ? '' : ` (${u.stopped})`}`
    lines.push(
      `| ${u.size}² | ${u.attention} | ${u.memoryPattern ? 'on' : 'off'} | ${u.loadS ?? '–'} | ${time} | ${u.peakRssGiB} |`
    )
  }
  if (r.pipeline.length > 0) {
    lines.push(
      '',
      '| generation | attention | memory pattern | UNet arena | total (s) | steps (ms) | peak RSS before decode (GiB) | RSS as the decode starts (GiB) | decode peak (GiB) | peak RSS (GiB) | UNet vs bare, wall / CPU | vs exported |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|'
    )
    for (const p of r.pipeline) {
      const diff =
        p.relativeDifferenceToExported === null
          ? '–'
          : p.relativeDifferenceToExported.toExponential(1)
      const u = p.unetPairs
      const pairs =
        u === undefined
          ? '–'
          : `×${u.wall.median ?? '–'} / ×${u.cpu.median ?? '–'} (${u.steadyPairs})`
      lines.push(
        `| ${p.size}², ${p.steps} step${p.steps === 1 ? '' : 's'}${p.batch === 1 ? ', batch 1' : ''} | ${p.attention} | ${p.memoryPattern ? 'on' : 'off'} | ${p.unetArena ? 'on' : 'off'} | ${p.totalS ?? p.stopped ?? '–'} | ${p.stepMs.join(', ')} | ${p.peakRssDenoisingGiB ?? '–'} | ${p.rssBeforeDecodeGiB ?? '–'} | ${p.decodePeakRssGiB ?? '–'} | ${p.peakRssGiB} | ${pairs} | ${diff} |`
      )
    }
  }
  return lines.join('\n')
}
