import { useEffect, useMemo, useRef } from 'react'
import type { JSX } from 'react'
import type { RgbaImage } from '../contract'
import { downscaleRgba } from '../lib/downscale-rgba'
import { paintRgba } from '../lib/paint-rgba'

/** Props of {@link RgbaCanvas}. */
export interface RgbaCanvasProps {
  image: RgbaImage
  className?: string
  /** Text alternative; omit for decorative thumbnails that a neighbouring label describes. */
  label?: string
  /** Thumbnails: paint a box-averaged copy no larger than this many pixels a side. */
  maxSize?: number
}

/** A canvas showing one RGBA image at its own resolution (or `maxSize`), scaled by CSS. */
export function RgbaCanvas({ image, className, label, maxSize }: RgbaCanvasProps): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null)
  const shown = useMemo(
    () => (maxSize === undefined ? image : downscaleRgba(image, maxSize)),
    [image, maxSize]
  )
  useEffect(() => {
    if (ref.current !== null) paintRgba(ref.current, shown)
  }, [shown])
  return (
    <canvas
      ref={ref}
      className={className}
      width={shown.width}
      height={shown.height}
      role={label === undefined ? undefined : 'img'}
      aria-label={label}
      aria-hidden={label === undefined ? true : undefined}
    />
  )
}
