import { useEffect, useRef } from 'react'
import type { JSX } from 'react'
import type { RgbaImage } from '../contract'
import { LatestWinsPainter } from '../lib/latest-wins-painter'
import { paintRgba } from '../lib/paint-rgba'
import { previewFrames } from '../lib/preview-frames'

/** Props of {@link LiveCanvas}. */
export interface LiveCanvasProps {
  /** Repaints from scratch when the live job changes. */
  jobId: string
  className?: string
  label: string
}

/**
 * The newest step preview, large. Previews are painted straight from the event into the canvas,
 * outside React, through a latest-wins painter: at most one paint per animation frame, and a
 * preview that arrives before its predecessor was painted replaces it.
 */
export function LiveCanvas({ jobId, className, label }: LiveCanvasProps): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const canvas = ref.current
    if (canvas === null) return
    const painter = new LatestWinsPainter<RgbaImage>((frame) => paintRgba(canvas, frame))
    const latest = previewFrames.latest()
    if (latest !== null) painter.submit(latest.frame)
    else {
      // A new job: resizing clears the previous job's last preview.
      canvas.width = 1
      canvas.height = 1
    }
    const unsubscribe = previewFrames.subscribe((_index, frame) => painter.submit(frame))
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
