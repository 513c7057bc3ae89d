import { useEffect, useRef } from 'react'
import type { JSX } from 'react'
import type { RgbaImage } from '../contract'
import { paintRgba } from '../lib/paint-rgba'

/** Props of {@link RgbaCanvas}. */
export interface RgbaCanvasProps {
  image: RgbaImage
  className?: string
  /** Text alternative; omit for decorative thumbnails that a neighbouring label describes. */
  label?: string
}

/** A canvas showing one RGBA image at its own resolution, scaled by CSS. */
export function RgbaCanvas({ image, className, label }: RgbaCanvasProps): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    if (ref.current !== null) paintRgba(ref.current, image)
  }, [image])
  return (
    <canvas
      ref={ref}
      className={className}
      width={image.width}
      height={image.height}
      role={label === undefined ? undefined : 'img'}
      aria-label={label}
      aria-hidden={label === undefined ? true : undefined}
    />
  )
}
