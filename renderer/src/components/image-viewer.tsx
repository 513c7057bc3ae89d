import { useEffect, useRef, useState } from 'react'
import type { JSX, KeyboardEvent, WheelEvent } from 'react'
import type { ViewedImage } from '../store/viewer-store'
import { useViewerStore } from '../store/viewer-store'

/** Zoom steps, as a share of the picture's own pixels (1 = 100 %). */
const ZOOMS = [0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32] as const

/** The zoom that fits `natural` pixels into `space`, at most 32×. */
function fitZoom(natural: { w: number; h: number }, space: { w: number; h: number }): number {
  if (natural.w === 0 || natural.h === 0) return 1
  return Math.min(32, space.w / natural.w, space.h / natural.h)
}

/**
 * A picture at full size over the app: fitted to the window at first, then zoomed in and out
 * (buttons, + and −, the mouse wheel), 100 % for its own pixels, and panned by scrolling. Small
 * pictures (64×64) are drawn with hard pixel edges, as a pixel viewer does. Escape closes it.
 */
export function ImageViewer(): JSX.Element | null {
  const image = useViewerStore((s) => s.image)
  // A new picture is a new dialog: its zoom starts at "fit" again.
  return image === null ? null : <ViewerDialog key={image.url} image={image} />
}

/** The open viewer of {@link ImageViewer}. */
function ViewerDialog({ image }: { image: ViewedImage }): JSX.Element {
  const close = useViewerStore((s) => s.close)
  const [zoom, setZoom] = useState<number | 'fit'>('fit')
  const [natural, setNatural] = useState({ w: 0, h: 0 })
  const [space, setSpace] = useState({ w: 0, h: 0 })
  const areaRef = useRef<HTMLDivElement>(null)
  const closeRef = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    closeRef.current?.focus()
  }, [])
  useEffect(() => {
    const area = areaRef.current
    if (area === null) return
    const measure = (): void => setSpace({ w: area.clientWidth - 16, h: area.clientHeight - 16 })
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(area)
    return () => observer.disconnect()
  }, [])

  const fit = fitZoom(natural, space)
  const scale = zoom === 'fit' ? fit : zoom
  const step = (direction: 1 | -1): void => {
    const next =
      direction > 0
        ? (ZOOMS.find((z) => z > scale + 1e-9) ?? 32)
        : ([...ZOOMS].reverse().find((z) => z < scale - 1e-9) ?? 0.25)
    setZoom(next)
  }
  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') close()
    else if (event.key === '+' || event.key === '=') step(1)
    else if (event.key === '-') step(-1)
    else if (event.key === '0') setZoom('fit')
    else return
    event.preventDefault()
    event.stopPropagation()
  }
  const onWheel = (event: WheelEvent): void => {
    if (!event.ctrlKey && !event.metaKey) return
    step(event.deltaY < 0 ? 1 : -1)
  }
  const percent = Math.round(scale * 100)
  return (
    <div
      className="viewer-backdrop"
      role="dialog"
      aria-modal="true"
      aria-label={`Full size: ${image.alt}`}
      data-testid="image-viewer"
      onKeyDown={onKeyDown}
    >
      <div className="viewer-bar">
        <button
          type="button"
          data-testid="viewer-zoom-out"
          onClick={() => step(-1)}
          aria-label="Zoom out"
        >
          −
        </button>
        <span className="viewer-zoom" data-testid="viewer-zoom-level" aria-live="polite">
          {zoom === 'fit' ? `Fit (${percent} %)` : `${percent} %`}
        </span>
        <button
          type="button"
          data-testid="viewer-zoom-in"
          onClick={() => step(1)}
          aria-label="Zoom in"
        >
          +
        </button>
        <button type="button" data-testid="viewer-zoom-fit" onClick={() => setZoom('fit')}>
          Fit
        </button>
        <button type="button" data-testid="viewer-zoom-actual" onClick={() => setZoom(1)}>
          100 %
        </button>
        <span className="muted viewer-size">
          {natural.w}×{natural.h} px
        </span>
        <button
          type="button"
          ref={closeRef}
          className="viewer-close"
          data-testid="viewer-close"
          onClick={close}
        >
          Close <kbd>Esc</kbd>
        </button>
      </div>
      <div className="viewer-area" ref={areaRef} onWheel={onWheel}>
        <img
          src={image.url}
          alt={image.alt}
          data-testid="viewer-image"
          className="viewer-image"
          width={Math.max(1, Math.round(natural.w * scale))}
          height={Math.max(1, Math.round(natural.h * scale))}
          onLoad={(e) =>
            setNatural({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })
          }
        />
      </div>
    </div>
  )
}
