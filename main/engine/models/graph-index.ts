import { implicitInputs, type OnnxGraphModel, type OnnxNode } from './onnx-graph'

/** Producers and consumers of every tensor, subgraph uses included. */
export class GraphIndex {
  readonly producer = new Map<string, OnnxNode>()
  readonly consumers = new Map<string, OnnxNode[]>()
  readonly graphOutputs: Set<string>

  constructor(readonly model: OnnxGraphModel) {
    this.graphOutputs = new Set(model.outputs)
    for (const n of model.nodes) {
      for (const o of n.outputs) this.producer.set(o, n)
      for (const i of [...n.inputs, ...implicitInputs(n)]) {
        if (i === '') continue
        const list = this.consumers.get(i)
        if (list === undefined) this.consumers.set(i, [n])
        else list.push(n)
      }
    }
  }

  /**
   * How many times a tensor's values are read (a graph output counts as a read). `Shape` nodes
   * read only its shape; they die with the attention they size, or keep it alive, in which case
   * the rewrite notices and leaves that attention alone.
   */
  uses(tensor: string): number {
    const readers = (this.consumers.get(tensor) ?? []).filter((n) => n.opType !== 'Shape')
    return readers.length + (this.graphOutputs.has(tensor) ? 1 : 0)
  }

  /** The one node that reads a tensor's values (see {@link uses}), if there is exactly one. */
  reader(tensor: string): OnnxNode | null {
    const readers = (this.consumers.get(tensor) ?? []).filter((n) => n.opType !== 'Shape')
    return readers.length === 1 && !this.graphOutputs.has(tensor) ? (readers[0] as OnnxNode) : null
  }
}
