import { useEffect, useRef } from 'react'
import type { JSX, PointerEvent } from 'react'
import type { Mask } from '../lib/mask-ops'
import { maskOverlayRgba, paintStroke } from '../lib/mask-ops'
import type { InputPicture } from '../store/input-image-store'
import { useInputImageStore } from '../store/input-image-store'

/**
 * The input picture with the inpainting mask painted over it: brush (repaint) and eraser (keep)
 * strokes of the chosen size, in picture pixels whatever size the picture is shown at. A stroke
 * is painted into a working copy and committed when the pointer is released (one undo step).
 */
export function MaskEditor({ picture }: { picture: InputPicture }): JSX.Element {
  const mask = useInputImageStore((s) => s.mask)
  const tool = useInputImageStore((s) => s.tool)
  const brushSize = useInputImageStore((s) => s.brushSize)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const working = useRef<Mask | null>(null)
  const last = useRef<{ x: number; y: number } | null>(null)

  const draw = (m: Mask | null): void => {
    const canvas = canvasRef.current
    if (canvas === null || m === null) return
    if (canvas.width !== m.width) canvas.width = m.width
    if (canvas.height !== m.height) canvas.height = m.height
    const context = canvas.getContext('2d')
    if (context === null) return
    context.putImageData(new ImageData(maskOverlayRgba(m), m.width, m.height), 0, 0)
  }
  useEffect(() => draw(mask), [mask])

  const at = (e: PointerEvent<HTMLCanvasElement>): { x: number; y: number } => {
    const rect = e.currentTarget.getBoundingClientRect()
    return {
      x: ((e.clientX - rect.left) / rect.width) * picture.width,
      y: ((e.clientY - rect.top) / rect.height) * picture.height
    }
  }
  const paint = (e: PointerEvent<HTMLCanvasElement>): void => {
    const m = working.current
    if (m === null) return
    const p = at(e)
    paintStroke(m, p.x, p.y, brushSize / 2, tool === 'brush' ? 255 : 0, last.current ?? undefined)
    last.current = p
    draw(m)
  }
  const onDown = (e: PointerEvent<HTMLCanvasElement>): void => {
    const current = useInputImageStore.getState().mask
    if (current === null) return
    e.currentTarget.setPointerCapture(e.pointerId)
    useInputImageStore.getState().checkpoint()
    working.current = { ...current, data: current.data.slice() }
    last.current = null
    paint(e)
  }
  const onUp = (): void => {
    if (working.current !== null) useInputImageStore.getState().commitMask(working.current)
    working.current = null
    last.current = null
  }

  return (
    <div className="mask-editor" style={{ aspectRatio: `${picture.width} / ${picture.height}` }}>
      <img
        src={picture.url}
        alt={`Input picture, ${picture.width}×${picture.height}`}
        data-testid="init-image"
        className="mask-picture"
        draggable={false}
      />
      <canvas
        ref={canvasRef}
        data-testid="mask-canvas"
        className={`mask-canvas tool-${tool}`}
        aria-label={`Mask: paint with the ${tool} where the picture is ${tool === 'brush' ? 'repainted' : 'kept'}`}
        onPointerDown={onDown}
        onPointerMove={(e) => {
          if (working.current !== null) paint(e)
        }}
        onPointerUp={onUp}
        onPointerCancel={onUp}
      />
    </div>
  )
}
