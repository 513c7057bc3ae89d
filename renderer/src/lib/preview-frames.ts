import type { RgbaImage } from '../contract'

/** Called when a step's preview arrives; `endedAt` is when its step ended (JobStepEvent). */
export type FrameListener = (index: number, frame: RgbaImage, endedAt: number) => void

/**
 * The live job's step previews, outside React state on purpose: they are pixel buffers that only
 * canvases read, and putting them in a store would re-render components for every frame. A
 * linear preview is small (latent resolution: 16 KiB for a 512² image); tiny and VAE previews are
 * full resolution (1 MiB at 512²), so a 50-step run at 512² keeps about 50 MiB for the gallery,
 * dropped when the next job starts.
 */
export class PreviewFrames {
  private jobId: string | null = null
  private readonly frames = new Map<number, RgbaImage>()
  private readonly listeners = new Set<FrameListener>()

  /** Forgets the previous job's frames. */
  reset(jobId: string | null): void {
    this.jobId = jobId
    this.frames.clear()
  }

  /** Stores a preview of the live job and tells listeners; previews of other jobs are ignored. */
  put(jobId: string, index: number, frame: RgbaImage, endedAt: number): void {
    if (jobId !== this.jobId) return
    this.frames.set(index, frame)
    for (const listener of this.listeners) listener(index, frame, endedAt)
  }

  /** The preview of step `index`, if it arrived. */
  get(index: number): RgbaImage | undefined {
    return this.frames.get(index)
  }

  /** The newest preview (highest step index) and its index. */
  latest(): { index: number; frame: RgbaImage } | null {
    let best: { index: number; frame: RgbaImage } | null = null
    for (const [index, frame] of this.frames) {
      if (best === null || index > best.index) best = { index, frame }
    }
    return best
  }

  /** Subscribes to arriving previews; returns the unsubscribe function. */
  subscribe(listener: FrameListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/** The previews of the job shown in the live view. */
export const previewFrames = new PreviewFrames()
