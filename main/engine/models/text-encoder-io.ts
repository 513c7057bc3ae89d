import { ModelLoadError } from './model-load-error'
import type { GraphSignature } from './graph-signature'

/** How to feed and read a CLIP text-encoder graph. */
export interface TextEncoderIo {
  /** The token-ids input (`input_ids`, or the graph's only integer input). */
  idsInput: string
  /** An `attention_mask` input, fed all ones (what diffusers' CLIP call amounts to), if present. */
  attentionMaskInput: string | null
  /** Per-token output SD 1.x/2.x use: `last_hidden_state`, or the first rank-3 output. */
  lastHiddenState: string | null
  /** `hidden_states.0 … hidden_states.L`, sorted by index (SDXL reads index −2). */
  hiddenStates: string[]
  /**
   * The pooled output SDXL takes as `text_embeds`: by diffusers' rule the first output when it
   * is 2-D (the projection of CLIPTextModelWithProjection), else an output named `text_embeds`.
   */
  pooled: string | null
  /** Axis-0 size of the ids input when the graph fixes it. */
  fixedBatch: number | null
}

const HIDDEN = /^hidden_states\.(\d+)$/

/** Works out a text encoder's I/O; `needs` says what the pipeline will read, checked now. */
export function describeTextEncoder(
  model: GraphSignature,
  needs: { hiddenStates: boolean; lastHiddenState: boolean }
): TextEncoderIo {
  const label = model.label
  const intInputs = model.inputNames.filter((n) => {
    const t = model.inputs.get(n)?.type
    return t === 'int32' || t === 'int64'
  })
  const idsInput = model.inputs.has('input_ids')
    ? 'input_ids'
    : intInputs.length === 1
      ? intInputs[0]
      : undefined
  if (idsInput === undefined) {
    throw new ModelLoadError(
      model.path,
      `${label} has no "input_ids" input (its inputs: ${model.inputNames.join(', ')})`
    )
  }
  model.requireInputType(idsInput, ['int32', 'int64'])
  const attentionMaskInput = model.inputs.has('attention_mask') ? 'attention_mask' : null
  if (attentionMaskInput !== null)
    model.requireInputType(attentionMaskInput, ['int32', 'int64', 'float32'])
  for (const name of model.inputNames) {
    if (name !== idsInput && name !== attentionMaskInput) {
      throw new ModelLoadError(
        model.path,
        `${label} has an input "${name}" that Stepwise cannot feed (a text encoder takes input_ids and optionally attention_mask)`
      )
    }
  }
  const rank = (name: string): number => model.outputs.get(name)?.shape.length ?? 0
  const outputs = model.outputNames
  const lastHiddenState = outputs.includes('last_hidden_state')
    ? 'last_hidden_state'
    : (outputs.find((n) => rank(n) === 3 && !HIDDEN.test(n)) ?? null)
  const hiddenStates = outputs
    .filter((n) => HIDDEN.test(n))
    .sort((a, b) => Number(HIDDEN.exec(a)?.[1]) - Number(HIDDEN.exec(b)?.[1]))
  const first = outputs[0]
  const pooled =
    first !== undefined && rank(first) === 2
      ? first
      : outputs.includes('text_embeds')
        ? 'text_embeds'
        : null
  if (needs.lastHiddenState && lastHiddenState === null) {
    throw new ModelLoadError(
      model.path,
      `${label} has no "last_hidden_state" output (its outputs: ${outputs.join(', ')})`
    )
  }
  if (needs.hiddenStates && hiddenStates.length < 2) {
    throw new ModelLoadError(
      model.path,
      `${label} has no hidden_states.N outputs (its outputs: ${outputs.join(', ')}); SDXL reads the penultimate hidden state, so export the encoder with output_hidden_states`
    )
  }
  for (const name of [lastHiddenState, pooled, ...hiddenStates]) {
    if (name !== null) model.requireFloatOutput(name)
  }
  return {
    idsInput,
    attentionMaskInput,
    lastHiddenState,
    hiddenStates,
    pooled,
    fixedBatch: model.fixedBatch(idsInput)
  }
}
