import { formatBytes } from '../../shared/format-bytes'
import type {
  ModelGraphInfo,
  ModelInfo,
  ModelLibraryListing,
  ModelSummary
} from '../../shared/contract'

/** Human-readable text for `models list` and `models info`. */

/** One line of defaults: "1 step, guidance 0 (no CFG), 512×512, EulerDiscreteScheduler". */
export function formatDefaults(model: ModelSummary): string {
  const d = model.defaults
  const steps = `${d.numInferenceSteps} step${d.numInferenceSteps === 1 ? '' : 's'}`
  return `${steps}, guidance ${d.guidanceScale} (${d.cfg ? 'CFG on' : 'no CFG'}), ${d.width}×${d.height}, ${d.scheduler}`
}

/** "linear, tiny (default; preview_decoder/model.onnx), vae": the model's preview methods. */
export function formatPreviews(model: ModelSummary): string {
  const p = model.previews
  const methods = p.methods.map((m) => {
    const notes = [
      ...(m === p.defaultMethod ? ['default'] : []),
      ...(m === 'tiny' && p.decoder !== null ? [p.decoder.label] : [])
    ]
    return notes.length === 0 ? m : `${m} (${notes.join('; ')})`
  })
  const offer =
    p.offer === null ? '' : `; tiny with ${p.offer.name}: models download ${p.offer.repo}`
  return `${methods.join(', ')}${offer}`
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? []
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd()
  )
}

/** `models list`: a table of usable models, then the folders that could not be used. */
export function formatListing(listing: ModelLibraryListing): string[] {
  const lines: string[] = []
  if (listing.models.length === 0) lines.push('No models yet: add a folder with `models add DIR`.')
  else {
    lines.push(
      ...table([
        ['ID', 'FAMILY', 'PRECISION', 'SIZE', 'SOURCE', 'PATH'],
        ...listing.models.map((m) => [
          m.id,
          m.familyLabel,
          m.precision,
          formatBytes(m.sizeBytes),
          m.source,
          m.path
        ])
      ])
    )
  }
  if (listing.problems.length > 0) {
    lines.push('', 'Not usable:')
    for (const p of listing.problems) {
      lines.push(`  ${p.id ?? '(built-in folder)'}  ${p.path}`, `    ${p.message}`)
    }
  }
  return lines
}

function formatIo(io: ModelGraphInfo['inputs'][number]): string {
  return `${io.name} ${io.type} [${io.shape.join(', ')}]`
}

/** `models info`: everything about one model. */
export function formatInfo(info: ModelInfo): string[] {
  const lines = [
    `${info.name}  (${info.familyLabel}, ${info.precision}, ${info.layout === 'optimum' ? "optimum's layout" : "diffusers' legacy ONNX layout"})`,
    `  id         ${info.id} (${info.source})`,
    `  path       ${info.path}`,
    `  pipeline   ${info.pipelineClass}`,
    `  size       ${formatBytes(info.sizeBytes)}`,
    `  defaults   ${formatDefaults(info)}`,
    `  previews   ${formatPreviews(info)}`
  ]
  if (info.repo !== undefined) lines.push(`  from       ${info.repo}@${info.revision ?? 'main'}`)
  if (info.description !== '') lines.push(`  about      ${info.description}`)
  lines.push('  graphs')
  for (const g of info.graphs) {
    lines.push(`    ${g.component}/model.onnx  ${g.precision}  ${formatBytes(g.sizeBytes)}`)
    for (const io of g.inputs) lines.push(`      in   ${formatIo(io)}`)
    for (const io of g.outputs) lines.push(`      out  ${formatIo(io)}`)
  }
  for (const [k, pass] of (info.graphPasses ?? []).entries()) {
    lines.push(`  ${k === 0 ? 'passes    ' : '          '} ${pass}`)
  }
  for (const w of info.warnings) lines.push(`  warning: ${w}`)
  return lines
}
