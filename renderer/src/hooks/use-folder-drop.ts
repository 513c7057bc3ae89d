import { useEffect } from 'react'
import { useLibraryStore } from '../store/library-store'
import { loadParametersFromPng } from '../store/png-parameters'

/**
 * Dropping a PNG reads its generation parameters into the form (A1111's PNG Info): onto a text
 * field, since elsewhere a picture becomes the input picture (use-image-drop-paste); dropping a
 * folder adds it to the model library. Electron's preload
 * gives the dropped folder's path (`window.stepwise.pathForFile`); a browser never reveals it,
 * so there the user is told to type the path instead. Dropped files never navigate the page.
 */
export function useFolderDrop(): void {
  useEffect(() => {
    const carriesFiles = (e: DragEvent): boolean =>
      e.dataTransfer !== null && [...e.dataTransfer.types].includes('Files')
    const onDragOver = (e: DragEvent): void => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      if (e.dataTransfer !== null) e.dataTransfer.dropEffect = 'copy'
    }
    const onDrop = (e: DragEvent): void => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      const file = e.dataTransfer?.files[0]
      if (file === undefined) return
      if (file.type === 'image/png' || /\.png$/i.test(file.name)) {
        void loadParametersFromPng(file)
        return
      }
      const path = window.stepwise?.pathForFile?.(file) ?? ''
      const library = useLibraryStore.getState()
      if (path === '') {
        library.showError(
          'The browser does not tell the app where a dropped folder is: type or paste its path under Models.'
        )
        return
      }
      void library.addFolder(path)
    }
    window.addEventListener('dragover', onDragOver)
    window.addEventListener('drop', onDrop)
    return () => {
      window.removeEventListener('dragover', onDragOver)
      window.removeEventListener('drop', onDrop)
    }
  }, [])
}
