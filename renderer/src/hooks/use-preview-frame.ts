import { useCallback, useSyncExternalStore } from 'react'
import type { RgbaImage } from '../contract'
import type { PreviewFrames } from '../lib/preview-frames'
import { previewFrames } from '../lib/preview-frames'

const noSubscription = (): (() => void) => () => undefined

/**
 * The preview of step `index` of the live job (undefined until it arrives, or with no step),
 * read through `useSyncExternalStore`: the component re-renders when that step's preview arrives
 * or the job's previews are reset, and for nothing else.
 */
export function usePreviewFrame(
  index: number | null,
  frames: PreviewFrames = previewFrames
): RgbaImage | undefined {
  const subscribe = useCallback(
    (onChange: () => void) =>
      index === null ? noSubscription() : frames.subscribeStep(index, onChange),
    [frames, index]
  )
  const snapshot = (): RgbaImage | undefined => (index === null ? undefined : frames.get(index))
  return useSyncExternalStore(subscribe, snapshot)
}
