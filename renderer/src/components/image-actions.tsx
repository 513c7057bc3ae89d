import { useState } from 'react'
import type { JSX } from 'react'
import { copyPngBlob, saveBlob } from '../lib/image-files'
import { useAppStore } from '../store/app-store'
import { messageOf } from '../store/notice-store'
import { useViewerStore } from '../store/viewer-store'

/** Props of {@link ImageActions}. */
export interface ImageActionsProps {
  /** Test-id prefix: `result` (the live view) or `history` (a stored result). */
  prefix: 'result' | 'history'
  /** The PNG to save, copy or view (history's file, with its parameters, when there is one). */
  png: () => Promise<Blob>
  fileName: string
  /** What the picture shows, for the viewer. */
  alt: string
  /** The history entry whose file "Show in folder" opens; null: not stored. */
  historyId: string | null
}

/**
 * What people do with a result: view it full size with zoom, save it (a download; Electron asks
 * where), copy it to the clipboard, and in the app open the folder that holds its file.
 */
export function ImageActions({
  prefix,
  png,
  fileName,
  alt,
  historyId
}: ImageActionsProps): JSX.Element {
  const api = useAppStore((s) => s.api)
  const electron = useAppStore((s) => s.capabilities?.mode === 'electron')
  const openViewer = useViewerStore((s) => s.open)
  const [note, setNote] = useState<string | null>(null)
  const act = (what: () => Promise<string | null>): void => {
    what().then(setNote, (error: unknown) => setNote(messageOf(error)))
  }
  return (
    <div className="image-actions" role="group" aria-label="Image actions">
      <button
        type="button"
        data-testid={`${prefix}-view`}
        onClick={() =>
          act(async () => {
            openViewer({ url: URL.createObjectURL(await png()), alt })
            return null
          })
        }
      >
        View full size
      </button>
      <button
        type="button"
        data-testid={`${prefix}-save`}
        onClick={() =>
          act(async () => {
            saveBlob(await png(), fileName)
            return `Saved as ${fileName}`
          })
        }
      >
        Save
      </button>
      <button
        type="button"
        data-testid={`${prefix}-copy`}
        onClick={() =>
          act(async () => {
            await copyPngBlob(await png())
            return 'Copied to the clipboard'
          })
        }
      >
        Copy
      </button>
      {electron && historyId !== null && api !== null && (
        <button
          type="button"
          data-testid={`${prefix}-show-file`}
          onClick={() =>
            act(async () => {
              await api.showHistoryFile(historyId)
              return null
            })
          }
        >
          Show in folder
        </button>
      )}
      {note !== null && (
        <span role="status" className="muted" data-testid={`${prefix}-action-status`}>
          {note}
        </span>
      )}
    </div>
  )
}
