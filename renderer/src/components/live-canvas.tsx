import { useEffect, useRef } from 'react'
import type { JSX } from 'react'
import type { RgbaImage } from '../contract'
import { LatestWinsPainter } from '../lib/latest-wins-painter'
import { markPaint } from '../lib/paint-marks'
import { paintRgba } from '../lib/paint-rgba'
import { previewFrames } from '../lib/preview-frames'

/** Props of {@link LiveCanvas}. */
export interface LiveCanvasProps {
  /** Repaints from scratch when the live job changes. */
  jobId: string
  className?: string
  label: string
}

/** A preview to paint; `step` is null for a repaint of an earlier preview (no new step). */
interface LivePaint {
  frame: RgbaImage
  step: { index: number; endedAt: number } | null
}

/**
 * The newest step preview, large. Previews are painted straight from the event into the canvas,
 * outside React, through a latest-wins painter: at most one paint per animation frame, and a
 * preview that arrives before its predecessor was painted replaces it. Each painted step is
 * recorded as a performance mark (lib/paint-marks.ts) for the preview-latency benchmark.
 */
export function LiveCanvas({ jobId, className, label }: LiveCanvasProps): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const canvas = ref.current
    if (canvas === null) return
    const painter = new LatestWinsPainter<LivePaint>(({ frame, step }) => {
      paintRgba(canvas, frame)
      if (step !== null) markPaint(jobId, step.index, step.endedAt)
    })
    const latest = previewFrames.latest()
    if (latest !== null) painter.submit({ frame: latest.frame, step: null })
    else {
      // A new job: resizing clears the previous job's last preview.
      canvas.width = 1
      canvas.height = 1
    }
    const unsubscribe = previewFrames.subscribe((index, frame, endedAt) =>
      painter.submit({ frame, step: { index, endedAt } })
    )
    return () => {
      unsubscribe()
      painter.dispose()
    }
  }, [jobId])
  return (
    <canvas
      ref={ref}
      className={className}
      data-testid="live-preview"
      width={1}
      height={1}
      role="img"
      aria-label={label}
    />
  )
}
