import type { GraphIndex } from './graph-index'
import { ONNX_FLOAT, type OnnxNode } from './onnx-graph'

/**
 * The paths that carry query, key and value from their projections to attention's MatMuls:
 * a head split (Reshape to [batch, seq, heads, head_dim]), Transposes, optionally the 3-D merge
 * [batch·heads, seq, head_dim], written as templates walked backwards from the MatMul.
 */

/** Heads as 4-D [batch, heads, seq, head_dim], or merged into 3-D [batch·heads, seq, head_dim]. */
export type Layout = '3d' | '4d'

export function perm(node: OnnxNode): string {
  return (node.attributes.get('perm')?.ints ?? []).join(',')
}

export function isFloatCast(node: OnnxNode): boolean {
  return node.opType === 'Cast' && node.domain === '' && node.attributes.get('to')?.i === ONNX_FLOAT
}

/** One structural step a head path must take, from the MatMul back to the projection. */
export interface Step {
  op: 'Transpose' | 'Reshape'
  perm?: string
}

export const QV_TEMPLATES: readonly { layout: Layout; steps: Step[] }[] = [
  { layout: '4d', steps: [{ op: 'Transpose', perm: '0,2,1,3' }, { op: 'Reshape' }] },
  {
    layout: '3d',
    steps: [{ op: 'Reshape' }, { op: 'Transpose', perm: '0,2,1,3' }, { op: 'Reshape' }]
  }
]

export const K_TEMPLATES: readonly { layout: Layout; steps: Step[] }[] = [
  { layout: '4d', steps: [{ op: 'Transpose', perm: '0,2,3,1' }, { op: 'Reshape' }] },
  {
    layout: '4d',
    steps: [
      { op: 'Transpose', perm: '0,1,3,2' },
      { op: 'Transpose', perm: '0,2,1,3' },
      { op: 'Reshape' }
    ]
  },
  {
    layout: '3d',
    steps: [
      { op: 'Transpose', perm: '0,2,1' },
      { op: 'Reshape' },
      { op: 'Transpose', perm: '0,2,1,3' },
      { op: 'Reshape' }
    ]
  }
]

/** A head path matched against a template: its nodes (MatMul side first) and scale factors. */
export interface HeadPath {
  layout: Layout
  /** The Transposes and Reshapes of the path, MatMul side first (the split is last). */
  nodes: OnnxNode[]
  /** The Reshape that splits channels into heads. */
  split: OnnxNode
  source: string
  /** Scalar factors met on the way: [tensor, multiply (true) or divide (false)]. */
  factors: [string, boolean][]
  /** Every tensor on the path, MatMul side first, with the node that produced it. */
  tensors: { tensor: string; node: OnnxNode }[]
}

/** Follows casts and scalar scaling back from `start` along `steps`; backtracks over Mul operands. */
function walk(
  index: GraphIndex,
  start: string,
  steps: readonly Step[],
  layout: Layout
): HeadPath | null {
  const go = (
    t: string,
    k: number,
    nodes: OnnxNode[],
    factors: [string, boolean][],
    tensors: { tensor: string; node: OnnxNode }[]
  ): HeadPath | null => {
    if (k === steps.length) {
      const split = nodes[nodes.length - 1] as OnnxNode
      return { layout, nodes, split, source: t, factors, tensors }
    }
    const n = index.producer.get(t)
    if (n === undefined || n.domain !== '') return null
    const step = steps[k] as Step
    const here = [...tensors, { tensor: t, node: n }]
    if (isFloatCast(n)) return go(n.inputs[0] ?? '', k, nodes, factors, here)
    if (n.opType === 'Mul') {
      return (
        go(n.inputs[0] ?? '', k, nodes, [...factors, [n.inputs[1] ?? '', true]], here) ??
        go(n.inputs[1] ?? '', k, nodes, [...factors, [n.inputs[0] ?? '', true]], here)
      )
    }
    if (n.opType === 'Div') {
      return go(n.inputs[0] ?? '', k, nodes, [...factors, [n.inputs[1] ?? '', false]], here)
    }
    if (n.opType !== step.op) return null
    if (step.perm !== undefined && perm(n) !== step.perm) return null
    return go(n.inputs[0] ?? '', k + 1, [...nodes, n], factors, here)
  }
  return go(start, 0, [], [], [])
}

/**
 * The first of `templates` that the path back from `start` (a MatMul input) follows, skipping
 * float→float casts and scalar Mul/Div (collected as factors); null when none does.
 */
export function findHeadPath(
  index: GraphIndex,
  start: string,
  templates: readonly { layout: Layout; steps: Step[] }[]
): HeadPath | null {
  for (const t of templates) {
    const p = walk(index, start, t.steps, t.layout)
    if (p !== null) return p
  }
  return null
}
