import type { LiveGuidanceReport, PreviewFrame, RgbaImage, StepEndInfo } from '../../engine'
import type { CutoffReport, InferenceStep, RgbaFrame } from '../protocol'

// The engine's values in the protocol's terms: what crosses to main must be plain data, and
// pixels an ArrayBuffer that can be transferred.

/** Copies pixels into an ArrayBuffer of exactly their size, so it can be transferred alone. */
export function toFrame(image: RgbaImage): RgbaFrame {
  const { data } = image
  const exact = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
  const rgba = exact && data.buffer instanceof ArrayBuffer ? data.buffer : data.slice().buffer
  return { width: image.width, height: image.height, rgba: rgba as ArrayBuffer }
}

/** The live guidance's report in the protocol's terms. */
export function protocolReport(report: LiveGuidanceReport): CutoffReport {
  const { interval, startStep, ...rest } = report
  return { ...rest, cfgInterval: interval, guidanceStartStep: startStep }
}

/**
 * A finished step as the protocol reports it, with its preview when it made one; `endedAt` is
 * when the step ended, on the clock other processes on this machine share.
 */
export function inferenceStepOf(
  info: StepEndInfo,
  frame: PreviewFrame | undefined,
  endedAt: number
): InferenceStep {
  return {
    index: info.index,
    timestep: info.timestep,
    total: info.numTimesteps,
    ms: info.ms,
    unetMs: info.unetMs,
    unetBatch: info.unetBatch,
    ...(info.unetCalls === undefined ? {} : { unetCalls: info.unetCalls }),
    cfg: info.cfg,
    guidanceScale: info.guidanceScale,
    endedAt,
    ...(frame === undefined ? {} : { previewMethod: frame.method, previewMs: frame.ms }),
    preview: frame === undefined ? null : toFrame(frame)
  }
}
