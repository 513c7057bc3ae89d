import {
  findAttention,
  GraphIndex,
  type AttentionMatchOptions,
  type AttentionMiss
} from './attention-match'
import {
  decodeOnnxModel,
  encodeNode,
  encodeOnnxModel,
  implicitInputs,
  ONNX_FLOAT16,
  type OnnxGraphModel,
  type OnnxNode
} from './onnx-graph'

/**
 * The attention fusion rewrite: every attention {@link findAttention} matches becomes one
 * `com.microsoft` MultiHeadAttention node over the unchanged q/k/v projections, whose
 * memory-efficient CPU kernel never holds the [heads, tokens, tokens] score matrix. The nodes
 * that only fed the old attention (head splits, transposes, the shape arithmetic around them)
 * are removed. Weights are untouched: the rewritten model refers to the same initializers, in
 * the same files.
 */

/** What the rewrite found and did. */
export interface AttentionFusion {
  /** Attention candidates (a Softmax feeding a MatMul). */
  found: number
  /** Of those, how many became MultiHeadAttention. */
  fused: number
  /** Heads of each fused attention, in graph order. */
  heads: number[]
  /** The candidates left as they were, with reasons. */
  misses: AttentionMiss[]
  /** The rewritten model, or null when nothing was fused (or the graph is not float32). */
  bytes: Uint8Array | null
  /** Why nothing was attempted (a float16 graph), else null. */
  notAttempted: string | null
}

/** The domain and opset version of MultiHeadAttention. */
const MS_DOMAIN = { domain: 'com.microsoft', version: 1 }

/** True when the graph computes in float16 (float16 inputs or weights). */
export function isFloat16Graph(model: OnnxGraphModel): boolean {
  if (model.inputs.some((i) => i.elemType === ONNX_FLOAT16)) return true
  for (const init of model.initializers.values()) if (init.dataType === ONNX_FLOAT16) return true
  return false
}

/** Nodes that still contribute to a graph output, in their original order. */
function liveNodes(model: OnnxGraphModel, nodes: readonly OnnxNode[]): OnnxNode[] {
  const needed = new Set(model.outputs)
  const live: boolean[] = new Array<boolean>(nodes.length).fill(false)
  // ONNX graphs are topologically sorted: one backward sweep finds every live node.
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k] as OnnxNode
    if (!n.outputs.some((o) => needed.has(o))) continue
    live[k] = true
    for (const i of n.inputs) if (i !== '') needed.add(i)
    for (const i of implicitInputs(n)) needed.add(i)
  }
  return nodes.filter((_, k) => live[k])
}

/**
 * Fuses the attention of the model in `bytes`. Never throws for a graph it does not understand:
 * the result says what was (not) fused and why.
 */
export function fuseAttention(
  bytes: Uint8Array,
  options: AttentionMatchOptions = {}
): AttentionFusion {
  const model = decodeOnnxModel(bytes)
  return fuseAttentionIn(model, options)
}

/** {@link fuseAttention} on an already decoded model. */
export function fuseAttentionIn(
  model: OnnxGraphModel,
  options: AttentionMatchOptions = {}
): AttentionFusion {
  const index = new GraphIndex(model)
  const scan = findAttention(model, options, index)
  const found = scan.matches.length + scan.misses.length
  const empty = { found, fused: 0, heads: [], misses: scan.misses, bytes: null }
  if (isFloat16Graph(model)) {
    return { ...empty, misses: [], notAttempted: 'the graph computes in float16' }
  }
  if (scan.matches.length === 0) return { ...empty, notAttempted: null }
  let matches = scan.matches
  const misses = [...scan.misses]
  for (;;) {
    const replacement = new Map<OnnxNode, OnnxNode>()
    matches.forEach((m, k) => {
      replacement.set(
        m.merge,
        encodeNode({
          name: `StepwiseMultiHeadAttention_${k}`,
          opType: 'MultiHeadAttention',
          domain: MS_DOMAIN.domain,
          inputs: [m.query, m.key, m.value],
          outputs: [m.merge.outputs[0] ?? ''],
          attributes: [
            { name: 'num_heads', i: m.numHeads },
            ...(m.scale === null ? [] : [{ name: 'scale', f: m.scale }])
          ]
        })
      )
    })
    const rewritten = liveNodes(
      model,
      model.nodes.map((n) => replacement.get(n) ?? n)
    )
    const kept = new Set(rewritten)
    // An attention whose intermediate tensors something else still reads (e.g. through a Shape
    // the matcher let pass) would be computed twice: leave it as it was and rewrite again.
    const stillUsed = matches.filter((m) => kept.has(m.softmax))
    if (stillUsed.length === 0) {
      return {
        found,
        fused: matches.length,
        heads: matches.map((m) => m.numHeads),
        misses,
        bytes: encodeOnnxModel(model, rewritten, [MS_DOMAIN]),
        notAttempted: null
      }
    }
    for (const m of stillUsed) {
      misses.push({
        softmax: m.softmax.name,
        reason: 'its intermediate results are used elsewhere'
      })
    }
    matches = matches.filter((m) => !stillUsed.includes(m))
    if (matches.length === 0) return { ...empty, misses, notAttempted: null }
  }
}

/** "12 not fused: a mask or bias is added to the attention scores; 2 not fused: …" */
export function describeMisses(misses: readonly AttentionMiss[]): string {
  const counts = new Map<string, number>()
  for (const m of misses) counts.set(m.reason, (counts.get(m.reason) ?? 0) + 1)
  return [...counts].map(([reason, n]) => `${n} not fused: ${reason}`).join('; ')
}
