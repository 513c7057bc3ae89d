import { create } from 'zustand'

/** The picture open in the full-size viewer. */
export interface ViewedImage {
  /** A blob URL of the PNG. */
  url: string
  alt: string
}

/** The full-size viewer: which picture it shows (null: closed). */
export interface ViewerState {
  image: ViewedImage | null
  open(image: ViewedImage): void
  close(): void
}

/** The viewer store; it owns the blob URL it is given and revokes it once it is not shown. */
export const useViewerStore = create<ViewerState>()((set, get) => ({
  image: null,
  open(image) {
    const previous = get().image
    set({ image })
    if (previous !== null) URL.revokeObjectURL(previous.url)
  },
  close() {
    const previous = get().image
    set({ image: null })
    if (previous !== null) URL.revokeObjectURL(previous.url)
  }
}))
