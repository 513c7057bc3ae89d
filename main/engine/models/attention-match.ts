import { GraphConstants } from './graph-constants'
import {
  findHeadPath,
  isFloatCast,
  K_TEMPLATES,
  perm,
  QV_TEMPLATES,
  type HeadPath,
  type Step
} from './attention-head-path'
import { GraphIndex } from './graph-index'
import { tensorValues, type OnnxGraphModel, type OnnxNode } from './onnx-graph'

export { GraphIndex } from './graph-index'

/**
 * Finds scaled-dot-product attention in an exported graph, as torch's exporters write it:
 *
 * ```
 * q, k, v projections ([batch, seq, heads·head_dim])
 *   → Reshape [batch, seq, heads, head_dim] → Transpose (0,2,1,3) → (Reshape [batch·heads, seq, head_dim])
 *   → K also transposed to […, head_dim, seq] (one Transpose (0,2,3,1), or two)
 * MatMul(q, kᵀ) → scale (Mul/Div; torch 2's SDPA scales q and kᵀ by √scale each instead)
 *   → optional Add of zeros (torch 1's baddbmm with beta 0) → optional float→float Cast
 *   → Softmax over the last axis → optional float→float Cast
 * MatMul(probs, v) → (Reshape [batch, heads, seq, head_dim]) → Transpose (0,2,1,3) → Reshape [batch, seq, heads·head_dim]
 * ```
 *
 * which is exactly what onnxruntime's `com.microsoft` MultiHeadAttention computes from the
 * three projections. Each Softmax that feeds a MatMul is a candidate; a candidate that differs
 * in any way that changes the result (a mask or bias added to the scores, softmax over another
 * axis, heads split off the wrong end of the channels, probabilities used elsewhere, a scale that
 * cannot be worked out) is left alone, with the reason.
 */

/** One attention that can become a MultiHeadAttention node. */
export interface AttentionMatch {
  /** The Softmax at its centre (names it in messages). */
  softmax: OnnxNode
  query: string
  key: string
  value: string
  /** The head-merge Reshape whose output the fused node produces. */
  merge: OnnxNode
  numHeads: number
  /** head_dim of query and key, when known. */
  headDim: number | null
  /** The softmax scale, when it is not head_dim^-0.5 (null: the default). */
  scale: number | null
}

/** An attention candidate that is not fused, and why. */
export interface AttentionMiss {
  softmax: string
  reason: string
}

export interface AttentionScan {
  matches: AttentionMatch[]
  misses: AttentionMiss[]
}

export interface AttentionMatchOptions {
  /** Heads to assume when the graph's reshapes do not say (from the model's config). */
  numHeadsHint?: number
}

class Miss extends Error {}

const fail = (reason: string): never => {
  throw new Miss(reason)
}

class Matcher {
  private readonly defaultOpset: number

  constructor(
    private readonly index: GraphIndex,
    private readonly options: AttentionMatchOptions
  ) {
    this.defaultOpset = index.model.opsets.find((o) => o.domain === '')?.version ?? 0
  }

  private producer(t: string): OnnxNode | null {
    return this.index.producer.get(t) ?? null
  }

  /** True when `t` is all zeros: a zero constant, a zero-filled ConstantOfShape, or such × 0. */
  private isZero(t: string, constants: GraphConstants, depth = 0): boolean {
    if (depth > 4) return false
    const v = constants.value(t)
    if (v !== null && v.values.length > 0 && v.values.every((x) => x === 0)) return true
    const n = this.producer(t)
    if (n === null || n.domain !== '') return false
    if (n.opType === 'ConstantOfShape') {
      const value = n.attributes.get('value')?.t
      if (value === undefined) return true
      const filled = tensorValues(value, 1)
      return filled !== null && filled.values.every((x) => x === 0)
    }
    if (n.opType === 'Cast' || n.opType === 'Identity' || n.opType === 'Expand') {
      return this.isZero(n.inputs[0] ?? '', constants, depth + 1)
    }
    if (n.opType === 'Mul') {
      const [a, b] = [n.inputs[0] ?? '', n.inputs[1] ?? '']
      // x · 0 is 0 only for finite x: the other factor must be a filled constant.
      const finite = (x: string): boolean => {
        const p = this.producer(x)
        return p?.opType === 'ConstantOfShape' || constants.value(x) !== null
      }
      return (
        (constants.scalar(b) === 0 && finite(a)) ||
        (constants.scalar(a) === 0 && finite(b)) ||
        this.isZero(a, constants, depth + 1) ||
        this.isZero(b, constants, depth + 1)
      )
    }
    return false
  }

  /** True when the Softmax's probabilities reach a MatMul as its first input (through casts). */
  isCandidate(softmax: OnnxNode): boolean {
    let frontier = [softmax.outputs[0] ?? '']
    for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
      const next: string[] = []
      for (const t of frontier) {
        for (const c of this.index.consumers.get(t) ?? []) {
          if (c.opType === 'MatMul' && c.inputs[0] === t) return true
          if (isFloatCast(c)) next.push(c.outputs[0] ?? '')
        }
      }
      frontier = next
    }
    return false
  }

  match(softmax: OnnxNode): AttentionMatch {
    const index = this.index
    const base = new GraphConstants(index.model, () => null, index.producer)
    const single = (t: string, what: string): void => {
      if (index.uses(t) !== 1) fail(`the ${what} are used elsewhere`)
    }

    // Softmax ← scores: casts, scalar scaling, zero adds, back to MatMul(q, kᵀ).
    const scoreFactors: [string, boolean][] = []
    let t = softmax.inputs[0] ?? ''
    let scores: OnnxNode | null = null
    for (let guard = 0; guard < 8 && scores === null; guard++) {
      single(t, 'attention scores')
      const n = this.producer(t)
      if (n === null || n.domain !== '') fail('the attention scores do not come from a MatMul')
      const node = n as OnnxNode
      const [a, b] = [node.inputs[0] ?? '', node.inputs[1] ?? '']
      if (node.opType === 'MatMul') scores = node
      else if (isFloatCast(node)) t = a
      else if (node.opType === 'Add') {
        if (this.isZero(b, base)) t = a
        else if (this.isZero(a, base)) t = b
        else fail('a mask or bias is added to the attention scores')
      } else if (node.opType === 'Mul' && base.scalar(b) !== null) {
        scoreFactors.push([b, true])
        t = a
      } else if (node.opType === 'Mul' && base.scalar(a) !== null) {
        scoreFactors.push([a, true])
        t = b
      } else if (node.opType === 'Div' && base.scalar(b) !== null) {
        scoreFactors.push([b, false])
        t = a
      } else fail(`a ${node.opType} between the attention scores and the softmax`)
    }
    if (scores === null) fail('the attention scores do not come from a MatMul')
    const qk = scores as OnnxNode

    // Softmax → probabilities: casts, then MatMul(probs, v).
    let p = softmax.outputs[0] ?? ''
    let context: OnnxNode | null = null
    for (let guard = 0; guard < 4 && context === null; guard++) {
      const c = index.reader(p)
      if (c === null) return fail('the attention probabilities are used elsewhere')
      if (isFloatCast(c)) p = c.outputs[0] ?? ''
      else if (c.opType === 'MatMul' && c.inputs[0] === p) context = c
      else fail(`the attention probabilities feed a ${c.opType}`)
    }
    if (context === null) fail('the attention probabilities do not reach a MatMul')
    const pv = context as OnnxNode

    const q = findHeadPath(this.index, qk.inputs[0] ?? '', QV_TEMPLATES)
    if (q === null) fail('the query is not split into heads as [batch, sequence, heads, head_dim]')
    const k = findHeadPath(this.index, qk.inputs[1] ?? '', K_TEMPLATES)
    if (k === null) fail('the key is not split into heads and transposed as attention does')
    const v = findHeadPath(this.index, pv.inputs[1] ?? '', QV_TEMPLATES)
    if (v === null) fail('the value is not split into heads as [batch, sequence, heads, head_dim]')
    const [qp, kp, vp] = [q as HeadPath, k as HeadPath, v as HeadPath]
    if (qp.layout !== kp.layout || qp.layout !== vp.layout) {
      fail('query, key and value are split into heads in different layouts')
    }
    const layout = qp.layout
    const rank = layout === '3d' ? 3 : 4

    const axis = softmax.attributes.get('axis')?.i ?? (this.defaultOpset >= 13 ? -1 : 1)
    if (axis !== -1 && axis !== rank - 1) fail(`the softmax is over axis ${axis}, not the last`)

    // Output: MatMul(probs, v) → (Reshape) → Transpose (0,2,1,3) → Reshape to 3-D.
    const outSteps: Step[] =
      layout === '3d'
        ? [{ op: 'Reshape' }, { op: 'Transpose', perm: '0,2,1,3' }, { op: 'Reshape' }]
        : [{ op: 'Transpose', perm: '0,2,1,3' }, { op: 'Reshape' }]
    let o = pv.outputs[0] ?? ''
    const outNodes: OnnxNode[] = []
    for (let s = 0; s < outSteps.length;) {
      const c = index.reader(o)
      if (c === null) return fail('the attention outputs are used elsewhere')
      const step = outSteps[s] as Step
      if (isFloatCast(c)) {
        o = c.outputs[0] ?? ''
        continue
      }
      if (c.opType !== step.op || (step.perm !== undefined && perm(c) !== step.perm)) {
        fail('the heads are not merged back as [batch, sequence, heads·head_dim]')
      }
      outNodes.push(c)
      o = c.outputs[0] ?? ''
      s++
    }
    const merge = outNodes[outNodes.length - 1] as OnnxNode

    // Heads and head_dim from the reshapes, with the projections' widths where weights say.
    const width = (source: string): number | null => this.projectionWidth(source)
    const shapes = new Map<string, (number | null)[]>()
    for (const path of [qp, kp, vp]) shapes.set(path.source, [null, null, width(path.source)])
    const known = new GraphConstants(index.model, (x) => shapes.get(x) ?? null, index.producer)
    const heads: number[] = []
    const headDims = new Map<HeadPath, number | null>()
    for (const path of [qp, kp, vp]) {
      const dims = known.value(path.split.inputs[1] ?? '')?.values
      if (dims !== undefined && dims.length !== 4) fail('a head split does not have four axes')
      const c = width(path.source)
      let h = dims?.[2] ?? null
      let d = dims?.[3] ?? null
      if (h === null && d !== null && c !== null && c % d === 0) h = c / d
      if (d === null && h !== null && c !== null && c % h === 0) d = c / h
      if (h !== null && d !== null && c !== null && h * d !== c) {
        fail('the heads do not split the channels as [heads, head_dim]')
      }
      if (h !== null) heads.push(h)
      headDims.set(path, d)
    }
    const mergeDims = known.value(
      outNodes[0]?.opType === 'Reshape' ? (outNodes[0].inputs[1] ?? '') : ''
    )
    if (layout === '3d' && mergeDims?.values[1] != null) heads.push(mergeDims.values[1])
    let numHeads = heads[0] ?? null
    if (heads.some((h) => h !== numHeads))
      fail('query, key and value disagree on the number of heads')
    if (numHeads === null) {
      const hint = this.options.numHeadsHint
      const c = width(qp.source)
      if (hint !== undefined && (c === null || c % hint === 0)) numHeads = hint
      else fail('the number of heads is not in the graph')
    }
    const dq = headDims.get(qp) ?? null
    const dk = headDims.get(kp) ?? null
    if (dq !== null && dk !== null && dq !== dk) fail('query and key have different head sizes')
    const headDim = dq ?? dk

    // Scale: the product of every factor met, evaluated with what is now known about shapes.
    for (const path of [qp, kp]) {
      const d = headDims.get(path) ?? null
      this.pathShapes(path, numHeads as number, d, shapes, known)
    }
    const full = new GraphConstants(index.model, (x) => shapes.get(x) ?? null, index.producer)
    let scale = 1
    for (const [tensor, multiply] of [...scoreFactors, ...qp.factors, ...kp.factors]) {
      const f = full.scalar(tensor)
      if (f === null || f === 0) fail('the attention scale could not be worked out')
      scale = multiply ? scale * (f as number) : scale / (f as number)
    }
    const fallbackDefault = headDim === null ? null : 1 / Math.sqrt(headDim)
    const isDefault =
      fallbackDefault !== null && Math.abs(scale - fallbackDefault) <= 1e-6 * fallbackDefault
    return {
      softmax,
      query: qp.source,
      key: kp.source,
      value: vp.source,
      merge,
      numHeads: numHeads as number,
      headDim,
      scale: isDefault ? null : Math.fround(scale)
    }
  }

  /** Output width of a projection MatMul (+ bias Add) whose weight is an initializer [in, out]. */
  private projectionWidth(source: string): number | null {
    let n = this.producer(source)
    if (n?.opType === 'Add') {
      const a = this.producer(n.inputs[0] ?? '')
      const b = this.producer(n.inputs[1] ?? '')
      n = a?.opType === 'MatMul' ? a : b?.opType === 'MatMul' ? b : null
    }
    if (n?.opType !== 'MatMul') return null
    const w = this.index.model.initializers.get(n.inputs[1] ?? '')
    if (w === undefined || w.dims.length !== 2) return null
    return w.dims[1] ?? null
  }

  /** Partial shapes along a query/key path (for Shape nodes that compute the scale). */
  private pathShapes(
    path: HeadPath,
    heads: number,
    headDim: number | null,
    shapes: Map<string, (number | null)[]>,
    known: GraphConstants
  ): void {
    // From the projection side to the MatMul: tensors[] is MatMul side first.
    let shape: (number | null)[] = [null, null, heads, headDim]
    for (const { tensor, node } of [...path.tensors].reverse()) {
      if (node === path.split) shape = [null, null, heads, headDim]
      else if (node.opType === 'Transpose') {
        const order = node.attributes.get('perm')?.ints ?? []
        shape = order.map((a) => shape[a] ?? null)
      } else if (node.opType === 'Reshape') {
        const dims = known.value(node.inputs[1] ?? '')?.values
        shape =
          dims === undefined
            ? [null, null, headDim]
            : dims.map((d) => (d === null || d <= 0 ? null : d))
        if (shape.length === 3) shape[2] = headDim
      }
      shapes.set(tensor, shape)
    }
  }
}

/**
 * Every attention candidate of `model` (a Softmax whose probabilities feed a MatMul), split into
 * those that can be fused and those that cannot, with reasons.
 */
export function findAttention(
  model: OnnxGraphModel,
  options: AttentionMatchOptions = {},
  index: GraphIndex = new GraphIndex(model)
): AttentionScan {
  const matcher = new Matcher(index, options)
  const matches: AttentionMatch[] = []
  const misses: AttentionMiss[] = []
  for (const node of model.nodes) {
    if (node.opType !== 'Softmax' || node.domain !== '' || !matcher.isCandidate(node)) continue
    try {
      matches.push(matcher.match(node))
    } catch (error) {
      if (!(error instanceof Miss)) throw error
      misses.push({ softmax: node.name || (node.outputs[0] ?? ''), reason: error.message })
    }
  }
  return { matches, misses }
}
