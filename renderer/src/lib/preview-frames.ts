import type { RgbaImage } from '../contract'

/** Called when a step's preview arrives; `endedAt` is when its step ended (JobStepEvent). */
export type FrameListener = (index: number, frame: RgbaImage, endedAt: number) => void

/**
 * The live job's step previews, outside React state on purpose: they are pixel buffers that only
 * canvases read, and putting them in a store would re-render components for every frame. A
 * linear preview is small (latent resolution: 16 KiB for a 512² image); tiny and VAE previews are
 * full resolution (1 MiB at 512²), so a 50-step run at 512² keeps about 50 MiB for the gallery,
 * dropped when the next job starts.
 *
 * Two ways to listen: {@link subscribe} hears every preview (the live canvas paints them outside
 * React), {@link subscribeStep} hears only one step's (a React component reading that step's
 * frame through `useSyncExternalStore`, hooks/use-preview-frame.ts), so a strip of many tiles is
 * not woken for every preview.
 */
export class PreviewFrames {
  private jobId: string | null = null
  private readonly frames = new Map<number, RgbaImage>()
  private latestIndex: number | null = null
  private readonly listeners = new Set<FrameListener>()
  private readonly stepListeners = new Map<number, Set<() => void>>()

  /** Forgets the previous job's frames. */
  reset(jobId: string | null): void {
    this.jobId = jobId
    const had = this.frames.size > 0
    this.frames.clear()
    this.latestIndex = null
    if (!had) return
    for (const set of [...this.stepListeners.values()]) for (const listener of [...set]) listener()
  }

  /** Stores a preview of the live job and tells listeners; previews of other jobs are ignored. */
  put(jobId: string, index: number, frame: RgbaImage, endedAt: number): void {
    if (jobId !== this.jobId) return
    this.frames.set(index, frame)
    if (this.latestIndex === null || index > this.latestIndex) this.latestIndex = index
    for (const listener of this.listeners) listener(index, frame, endedAt)
    const step = this.stepListeners.get(index)
    if (step !== undefined) for (const listener of [...step]) listener()
  }

  /** The preview of step `index`, if it arrived. */
  get(index: number): RgbaImage | undefined {
    return this.frames.get(index)
  }

  /** The newest preview (highest step index) and its index. */
  latest(): { index: number; frame: RgbaImage } | null {
    if (this.latestIndex === null) return null
    const frame = this.frames.get(this.latestIndex)
    return frame === undefined ? null : { index: this.latestIndex, frame }
  }

  /** Subscribes to arriving previews; returns the unsubscribe function. */
  subscribe(listener: FrameListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Subscribes to changes of step `index`'s preview: it arrives, or a reset forgets it. Returns
   * the unsubscribe function (the `subscribe` of `useSyncExternalStore`).
   */
  subscribeStep(index: number, onChange: () => void): () => void {
    let set = this.stepListeners.get(index)
    if (set === undefined) {
      set = new Set()
      this.stepListeners.set(index, set)
    }
    set.add(onChange)
    return () => {
      const current = this.stepListeners.get(index)
      if (current === undefined) return
      current.delete(onChange)
      if (current.size === 0) this.stepListeners.delete(index)
    }
  }
}

/** The previews of the job shown in the live view. */
export const previewFrames = new PreviewFrames()
