import { useEffect } from 'react'
import { isPictureFile } from '../lib/image-bytes'
import { useAppStore } from '../store/app-store'
import { useInputImageStore } from '../store/input-image-store'

/**
 * A PNG or JPEG dropped anywhere on the window, or pasted (not into a text field holding text),
 * becomes the input picture. A PNG dropped onto a text field (the prompt) is asking for its
 * parameters instead (PNG Info), and other drops (model folders) are left to their own handler.
 */
export function useImageDropPaste(): void {
  useEffect(() => {
    const take = (file: File): void => {
      const api = useAppStore.getState().api
      if (api === null) return
      void file
        .arrayBuffer()
        .then((b) => useInputImageStore.getState().setPictureBytes(api, new Uint8Array(b)))
    }
    const pictureOf = (files: FileList | undefined | null): File | undefined =>
      files === undefined || files === null ? undefined : [...files].find(isPictureFile)
    const onDrop = (e: DragEvent): void => {
      const file = pictureOf(e.dataTransfer?.files)
      if (file === undefined || onTextField(e.target)) return
      // Handled here: the folder-drop handler must not treat the picture as a model folder.
      e.preventDefault()
      e.stopImmediatePropagation()
      take(file)
    }
    const onPaste = (e: ClipboardEvent): void => {
      const file = pictureOf(e.clipboardData?.files)
      if (file === undefined) return
      e.preventDefault()
      take(file)
    }
    window.addEventListener('drop', onDrop, { capture: true })
    window.addEventListener('paste', onPaste)
    return () => {
      window.removeEventListener('drop', onDrop, { capture: true })
      window.removeEventListener('paste', onPaste)
    }
  }, [])
}

/** Whether a drop landed on a field one types into, where a PNG means "read its parameters". */
function onTextField(target: EventTarget | null): boolean {
  return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement
}
