import { create } from 'zustand'
import type {
  DownloadRequest,
  DownloadSummary,
  InferenceStatus,
  KnownModelInfo,
  ModelLibraryListing,
  ModelSummary
} from '../contract'
import { useAppStore } from './app-store'
import { useFormStore } from './form-store'
import { messageOf } from './notice-store'

/**
 * The model library, Hub downloads and the inference process's memory, as main reports them.
 * Errors of these areas are shown beside their controls (not as the global error banner), in
 * main's own words: which file is missing, which pipeline is not supported yet, why a download
 * failed.
 */
export interface LibraryState {
  listing: ModelLibraryListing | null
  known: KnownModelInfo[]
  downloads: DownloadSummary[]
  status: InferenceStatus | null
  /** Why the last library action (add, remove) failed. */
  error: string | null
  /** Why the last download request was refused. */
  downloadError: string | null
  /** An add is in progress (checking a folder can take a moment on a slow disk). */
  adding: boolean
  refresh(): Promise<void>
  /** Checks and adds a folder; on success the form switches to the new model. */
  addFolder(path: string): Promise<ModelSummary | null>
  /** Electron: the OS folder dialog, then {@link addFolder}. */
  pickFolder(): Promise<void>
  remove(id: string): Promise<void>
  loadDownloads(): Promise<void>
  startDownload(request: DownloadRequest): Promise<boolean>
  cancelDownload(id: string): Promise<void>
  /** Removes an ended download from the list (main forgets it too). */
  dismissDownload(id: string): Promise<void>
  /** Starts an ended download again (same repository and revision) in place of the old entry. */
  retryDownload(download: DownloadSummary): Promise<void>
  /** A `download:update` event: replaces (or adds) that download. */
  applyDownload(download: DownloadSummary): void
  refreshStatus(): Promise<void>
  showError(message: string): void
  clearError(): void
}

/** The library store. */
export const useLibraryStore = create<LibraryState>()((set, get) => ({
  listing: null,
  known: [],
  downloads: [],
  status: null,
  error: null,
  downloadError: null,
  adding: false,
  async refresh() {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      set({ listing: await api.modelLibrary() })
    } catch (error) {
      set({ error: messageOf(error) })
    }
  },
  async addFolder(path) {
    const api = useAppStore.getState().api
    const trimmed = path.trim()
    if (api === null || trimmed === '') return null
    set({ adding: true, error: null })
    try {
      const model = await api.addModel(trimmed)
      await Promise.all([useAppStore.getState().refreshModels(), get().refresh()])
      useFormStore.getState().applyModel(model)
      return model
    } catch (error) {
      set({ error: messageOf(error) })
      return null
    } finally {
      set({ adding: false })
    }
  },
  async pickFolder() {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      const path = await api.pickModelFolder()
      if (path !== null) await get().addFolder(path)
    } catch (error) {
      set({ error: messageOf(error) })
    }
  },
  async remove(id) {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      await api.removeModel(id)
      set({ error: null })
      await Promise.all([useAppStore.getState().refreshModels(), get().refresh()])
    } catch (error) {
      set({ error: messageOf(error) })
    }
  },
  async loadDownloads() {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      const [known, downloads] = await Promise.all([api.knownModels(), api.listDownloads()])
      set({ known, downloads, downloadError: null })
    } catch (error) {
      set({ downloadError: messageOf(error) })
    }
  },
  async startDownload(request) {
    const api = useAppStore.getState().api
    if (api === null) return false
    try {
      get().applyDownload(await api.startDownload(request))
      set({ downloadError: null })
      return true
    } catch (error) {
      set({ downloadError: messageOf(error) })
      return false
    }
  },
  async cancelDownload(id) {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      get().applyDownload(await api.cancelDownload(id))
    } catch (error) {
      set({ downloadError: messageOf(error) })
    }
  },
  async dismissDownload(id) {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      await api.dismissDownload(id)
      set((state) => ({ downloads: state.downloads.filter((d) => d.id !== id) }))
    } catch (error) {
      set({ downloadError: messageOf(error) })
    }
  },
  async retryDownload(download) {
    const started = await get().startDownload({
      repo: download.repo,
      ...(download.revision === 'main' ? {} : { revision: download.revision })
    })
    if (started) await get().dismissDownload(download.id)
  },
  applyDownload(download) {
    set((state) => {
      const others = state.downloads.filter((d) => d.id !== download.id)
      const known = state.downloads.some((d) => d.id === download.id)
      // Keep the order main gives (newest first): a new one goes on top, an update stays put.
      return {
        downloads: known
          ? state.downloads.map((d) => (d.id === download.id ? download : d))
          : [download, ...others]
      }
    })
  },
  async refreshStatus() {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      set({ status: await api.inferenceStatus() })
    } catch {
      // A front end without a memory report simply shows none.
      set({ status: null })
    }
  },
  showError(message) {
    set({ error: message })
  },
  clearError() {
    set({ error: null })
  }
}))
