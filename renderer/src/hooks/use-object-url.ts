import { useEffect, useState } from 'react'
import type { RgbaImage } from '../contract'
import { rgbaToObjectUrl } from '../lib/paint-rgba'

/**
 * A blob URL of an RGBA image, encoded once and revoked when the image changes or the component
 * unmounts. Used for the final image so it can be saved or dragged out like any picture.
 */
export function useObjectUrl(image: RgbaImage | null): string | null {
  const [url, setUrl] = useState<{ image: RgbaImage; url: string } | null>(null)
  useEffect(() => {
    if (image === null) return
    let cancelled = false
    let made: string | null = null
    rgbaToObjectUrl(image)
      .then((u) => {
        made = u
        if (cancelled) URL.revokeObjectURL(u)
        else setUrl({ image, url: u })
      })
      .catch(() => undefined)
    return () => {
      cancelled = true
      if (made !== null) URL.revokeObjectURL(made)
    }
  }, [image])
  return url !== null && url.image === image ? url.url : null
}
