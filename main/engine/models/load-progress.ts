import { promises as fs } from 'node:fs'
import type { OnnxComponent } from './model-folder'

/**
 * One component's load, as `fromPretrained`'s `onLoadProgress` reports it: `start` before its
 * onnxruntime session is created (graph passes included), `done` once it is, with the time it
 * took. `index` counts from 1 among the `total` graphs the same load creates (a pipeline's first
 * call creates its text encoder(s), UNet and VAE decoder together; a preview decoder created at
 * the first tiny preview is a load of its own, 1 of 1).
 */
export interface LoadProgressEvent {
  component: OnnxComponent
  /** What a person calls it: "text encoder", "text encoder 2", "UNet", "VAE decoder", … */
  label: string
  /** 1-based position of this graph in the load. */
  index: number
  total: number
  phase: 'start' | 'done'
  /** Size on disk of the graph and its external weights (`model.onnx_data`), or null if unknown. */
  bytes: number | null
  /** `done`: milliseconds from `start` (reading the file, graph passes, creating the session). */
  ms?: number
}

/** Receives {@link LoadProgressEvent}s; an error it throws is ignored (a display never fails a load). */
export type LoadProgressListener = (event: LoadProgressEvent) => void

const LABELS: Readonly<Record<OnnxComponent, string>> = {
  text_encoder: 'text encoder',
  text_encoder_2: 'text encoder 2',
  unet: 'UNet',
  vae_decoder: 'VAE decoder',
  vae_encoder: 'VAE encoder',
  preview_decoder: 'preview decoder'
}

/** A component's name as progress messages say it ("UNet", "VAE decoder"). */
export function componentLabel(component: OnnxComponent): string {
  return LABELS[component]
}

/** Bytes of a graph file and of its external-data file beside it, or null if it cannot be read. */
export async function graphBytes(file: string): Promise<number | null> {
  const graph = await fs.stat(file).catch(() => null)
  if (graph === null) return null
  const data = await fs.stat(`${file}_data`).catch(() => null)
  return graph.size + (data?.isFile() === true ? data.size : 0)
}

/** Calls `listener` without letting it break the load. */
export function report(listener: LoadProgressListener | null, event: LoadProgressEvent): void {
  if (listener === null) return
  try {
    listener(event)
  } catch {
    // A progress display that fails must not fail loading the model.
  }
}
