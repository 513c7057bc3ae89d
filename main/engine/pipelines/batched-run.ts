import type { Tensor } from 'onnxruntime-node'
import type { OnnxModel } from '../models/onnx-model'
import { batchOf, concatBatch, sliceRows, takeRows } from '../tensor/batch'
import { formatDims } from '../tensor/float-tensor'

/** Outputs of a (possibly chunked) run. */
export interface BatchedRunResult {
  outputs: Record<string, Tensor>
  /** Milliseconds inside `session.run`, all chunks together. */
  ms: number
  /** Rows the graph actually computed (more than the batch when padding a fixed-size chunk). */
  rowsComputed: number
  /** `session.run` calls made: 1, or one per chunk. */
  calls: number
  /** Set when the graph's fixed batch size forced chunking, saying how. */
  fallback: string | null
}

/**
 * Runs `model` on a batch. `batchInputs` name the feeds that carry one row per item; they must
 * agree on the batch size (a clear error otherwise — e.g. a callback that ended CFG without
 * halving `prompt_embeds`). When the graph fixes its batch size to F ≠ the batch, the batch is
 * run in chunks of F rows, the last chunk padded by repeating its last row, and only the real
 * rows are kept: correct results at the cost the graph imposes, reported in `fallback`.
 *
 * `rowsPerCall` (the low-memory mode) runs a dynamic-batch graph on at most that many rows per
 * call, in order, and concatenates the outputs as the batched call's: the graph's working memory
 * is one call's. A fixed-batch graph keeps its own chunk size (it cannot run fewer rows).
 */
export async function runBatched(
  model: OnnxModel,
  feeds: Record<string, Tensor>,
  batchInputs: readonly string[],
  fixedBatch: number | null,
  outputNames: readonly string[],
  rowsPerCall: number | null = null
): Promise<BatchedRunResult> {
  const present = batchInputs.filter((n) => feeds[n] !== undefined)
  const first = present[0]
  if (first === undefined) throw new Error(`${model.label}: no batched input to run`)
  const batch = batchOf(feeds[first] as Tensor)
  for (const name of present) {
    const t = feeds[name] as Tensor
    if (batchOf(t) !== batch) {
      throw new Error(
        `${model.label} inputs disagree on the batch size: ${first} has ${batch} rows but ${name} has shape ${formatDims(t.dims)}. ` +
          'A callback that turns classifier-free guidance off must also keep only the conditional half of the conditioning tensors (see SDCFGCutoffCallback / SDXLCFGCutoffCallback).'
      )
    }
  }
  if (fixedBatch === null && rowsPerCall !== null && rowsPerCall < batch) {
    return runInChunks(model, feeds, present, outputNames, batch, rowsPerCall)
  }
  if (fixedBatch === null || fixedBatch === batch) {
    const { outputs, ms } = await model.run(feeds, outputNames)
    return { outputs, ms, rowsComputed: batch, calls: 1, fallback: null }
  }
  const chunks: Record<string, Tensor>[] = []
  let ms = 0
  let rowsComputed = 0
  for (let start = 0; start < batch; start += fixedBatch) {
    const n = Math.min(fixedBatch, batch - start)
    const rows = Array.from({ length: fixedBatch }, (_, i) => start + Math.min(i, n - 1))
    const chunkFeeds: Record<string, Tensor> = { ...feeds }
    for (const name of present) chunkFeeds[name] = takeRows(feeds[name] as Tensor, rows)
    const result = await model.run(chunkFeeds, outputNames)
    ms += result.ms
    rowsComputed += fixedBatch
    const kept: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(result.outputs)) kept[name] = sliceRows(t, 0, n)
    chunks.push(kept)
  }
  const outputs: Record<string, Tensor> = {}
  for (const name of outputNames) {
    outputs[name] = concatBatch(chunks.map((c) => c[name] as Tensor))
  }
  return {
    outputs,
    ms,
    rowsComputed,
    calls: chunks.length,
    fallback: `${model.label} has a fixed batch size of ${fixedBatch}: a batch of ${batch} ran as ${chunks.length} run(s) of ${fixedBatch} row(s)`
  }
}

/** Runs `batch` rows in consecutive calls of at most `rows` rows, outputs concatenated in order. */
async function runInChunks(
  model: OnnxModel,
  feeds: Record<string, Tensor>,
  batched: readonly string[],
  outputNames: readonly string[],
  batch: number,
  rows: number
): Promise<BatchedRunResult> {
  const chunks: Record<string, Tensor>[] = []
  let ms = 0
  for (let start = 0; start < batch; start += rows) {
    const end = Math.min(batch, start + rows)
    const chunkFeeds: Record<string, Tensor> = { ...feeds }
    for (const name of batched) chunkFeeds[name] = sliceRows(feeds[name] as Tensor, start, end)
    const result = await model.run(chunkFeeds, outputNames)
    ms += result.ms
    chunks.push(result.outputs)
  }
  const outputs: Record<string, Tensor> = {}
  for (const name of outputNames) {
    outputs[name] = concatBatch(chunks.map((c) => c[name] as Tensor))
  }
  return { outputs, ms, rowsComputed: batch, calls: chunks.length, fallback: null }
}
