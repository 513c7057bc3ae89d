import { useRef } from 'react'
import type { JSX } from 'react'
import { hasRepaint, repaintFraction } from '../lib/mask-ops'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { useInputImageStore } from '../store/input-image-store'
import { MaskEditor } from './mask-editor'

/**
 * Image-to-image and inpainting: the input picture (file, drop or paste anywhere, or "Use as
 * input" on a result), the strength, and the mask editor over the picture. With a painted mask the
 * run inpaints; without one it transforms the whole picture.
 */
export function InputImagePanel(): JSX.Element {
  const api = useAppStore((s) => s.api)
  const picture = useInputImageStore((s) => s.picture)
  const mask = useInputImageStore((s) => s.mask)
  const strength = useInputImageStore((s) => s.strength)
  const tool = useInputImageStore((s) => s.tool)
  const brushSize = useInputImageStore((s) => s.brushSize)
  const error = useInputImageStore((s) => s.error)
  const canUndo = useInputImageStore((s) => s.undoStack.length > 0)
  const store = useInputImageStore.getState
  const width = useFormStore((s) => s.values.width)
  const height = useFormStore((s) => s.values.height)
  const fileRef = useRef<HTMLInputElement>(null)
  const steps = Number(useFormStore((s) => s.values.steps)) || 0

  const onFile = async (file: File | undefined): Promise<void> => {
    if (file === undefined || api === null) return
    await store().setPictureBytes(api, new Uint8Array(await file.arrayBuffer()))
    if (fileRef.current !== null) fileRef.current.value = ''
  }
  const painted = mask !== null && hasRepaint(mask)
  const resized =
    picture !== null && (String(picture.width) !== width || String(picture.height) !== height)

  return (
    <fieldset className="input-image-panel" aria-label="Input picture">
      <legend>Start from a picture</legend>
      <input
        ref={fileRef}
        type="file"
        accept="image/png,image/jpeg"
        data-testid="init-image-input"
        aria-label="Choose an input picture (PNG or JPEG)"
        onChange={(e) => void onFile(e.target.files?.[0])}
      />
      {picture === null ? (
        <p className="muted small">
          Or drop a PNG or JPEG on the window, paste one, or use a result as input.
        </p>
      ) : (
        <>
          <MaskEditor picture={picture} />
          {resized && (
            <p className="muted small" data-testid="init-image-resize-note">
              The {picture.width}×{picture.height} picture is resized to {width}×{height}.
            </p>
          )}
          <div className="mask-tools" role="toolbar" aria-label="Mask tools">
            <button
              type="button"
              aria-pressed={tool === 'brush'}
              data-testid="mask-brush-button"
              onClick={() => store().setTool('brush')}
            >
              Brush
            </button>
            <button
              type="button"
              aria-pressed={tool === 'eraser'}
              data-testid="mask-eraser-button"
              onClick={() => store().setTool('eraser')}
            >
              Eraser
            </button>
            <label className="small">
              Size
              <input
                type="range"
                min={1}
                max={64}
                value={brushSize}
                data-testid="mask-size-input"
                onChange={(e) => store().setBrushSize(Number(e.target.value))}
              />
            </label>
            <button
              type="button"
              data-testid="mask-clear-button"
              onClick={() => store().clearMask()}
            >
              Clear
            </button>
            <button type="button" data-testid="mask-invert-button" onClick={() => store().invert()}>
              Invert
            </button>
            <button
              type="button"
              data-testid="mask-undo-button"
              disabled={!canUndo}
              onClick={() => store().undo()}
            >
              Undo
            </button>
            <button
              type="button"
              data-testid="init-image-remove-button"
              onClick={() => store().clearPicture()}
            >
              Remove picture
            </button>
          </div>
          <p className="muted small" data-testid="mask-summary">
            {painted
              ? `Inpainting ${Math.round(repaintFraction(mask) * 100)}% of the picture (painted area).`
              : 'No mask painted: the whole picture is transformed.'}
          </p>
        </>
      )}
      <label className="strength-field">
        <span>
          Strength {strength.toFixed(2)}
          {picture !== null && steps > 0
            ? ` · runs ${Math.min(Math.trunc(steps * strength), steps)} of ${steps} steps`
            : ''}
        </span>
        <input
          type="range"
          min={0.01}
          max={1}
          step={0.01}
          value={strength}
          data-testid="strength-input"
          aria-label="Strength: how much of the schedule runs from the picture"
          onChange={(e) => store().setStrength(Number(e.target.value))}
        />
      </label>
      {error !== null && (
        <p className="field-error" role="alert" data-testid="init-image-error">
          {error}
        </p>
      )}
    </fieldset>
  )
}
