import { useState } from 'react'
import type { JSX } from 'react'
import type { RgbaImage } from '../contract'
import { rgbaToPngBytes } from '../lib/image-bytes'
import { useAppStore } from '../store/app-store'
import { useInputImageStore } from '../store/input-image-store'

/**
 * "Use as input": a result (a history entry, or the live view's final image) becomes the input
 * picture of the next run; a painted mask of the same size is kept, another size clears it.
 */
export function UseAsInputButton({
  historyId,
  image
}: {
  historyId?: string | null
  image?: RgbaImage | null
}): JSX.Element {
  const api = useAppStore((s) => s.api)
  const [busy, setBusy] = useState(false)
  const use = async (): Promise<void> => {
    if (api === null) return
    setBusy(true)
    try {
      const bytes =
        historyId != null
          ? await api.historyImage({ id: historyId })
          : image != null
            ? await rgbaToPngBytes(image)
            : null
      if (bytes !== null) await useInputImageStore.getState().setPictureBytes(api, bytes)
    } finally {
      setBusy(false)
    }
  }
  return (
    <button
      type="button"
      data-testid="use-as-input-button"
      className="use-as-input"
      disabled={busy || api === null}
      title="Start the next run from this picture (image-to-image or inpainting)"
      onClick={(e) => {
        e.stopPropagation()
        void use()
      }}
    >
      Use as input
    </button>
  )
}
