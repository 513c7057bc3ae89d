import { create } from 'zustand'
import { LIMITS } from '../../../shared/params'
import type { GenerateParams, StepwiseApi } from '../contract'
import { bytesToRgba, rgbaToPngBytes } from '../lib/image-bytes'
import type { Mask } from '../lib/mask-ops'
import { emptyMask, hasRepaint, invertMask, maskFromRgba, maskToRgba } from '../lib/mask-ops'
import { useAppStore } from './app-store'

/** The input picture of image-to-image and inpainting runs, as stored by main. */
export interface InputPicture {
  imageId: string
  width: number
  height: number
  /** A blob URL of the stored PNG, for display. */
  url: string
}

/** Mask editor tools. */
export type MaskTool = 'brush' | 'eraser'

const UNDO_DEPTH = 30

/** The input picture, its inpainting mask and the strength. */
export interface InputImageState {
  picture: InputPicture | null
  mask: Mask | null
  /** Mask states before each change, newest last. */
  undoStack: Mask[]
  strength: number
  tool: MaskTool
  /** Brush diameter in picture pixels. */
  brushSize: number
  /** Why the last picture could not be used. */
  error: string | null
  /** Start step of each image job (by job id), from its ticket, for the gallery. */
  startSteps: Record<string, number>
  /** Stores PNG/JPEG bytes in main and makes them the input; keeps a mask of the same size. */
  setPictureBytes(api: StepwiseApi, bytes: Uint8Array): Promise<boolean>
  /** Shows an already stored picture (restoring a history entry). */
  showStored(api: StepwiseApi, imageId: string, maskId: string | null): Promise<void>
  clearPicture(): void
  setStrength(strength: number): void
  setTool(tool: MaskTool): void
  setBrushSize(size: number): void
  /** Records the mask before a change (a stroke, clear, invert), for undo. */
  checkpoint(): void
  /** Replaces the mask (the editor paints into a copy and commits it). */
  commitMask(mask: Mask): void
  clearMask(): void
  invert(): void
  undo(): void
  rememberStartStep(jobId: string, startStep: number): void
  /** `initImage`, `maskImage` and `strength` for a run, uploading the mask when painted. */
  paramsForRun(api: StepwiseApi): Promise<Partial<GenerateParams>>
}

function copy(mask: Mask): Mask {
  return { ...mask, data: mask.data.slice() }
}

function pngUrl(bytes: Uint8Array): string {
  return URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'image/png' }))
}

/** The input-image store. */
export const useInputImageStore = create<InputImageState>()((set, get) => ({
  picture: null,
  mask: null,
  undoStack: [],
  strength: LIMITS.strength.default,
  tool: 'brush',
  brushSize: 12,
  error: null,
  startSteps: {},
  async setPictureBytes(api, bytes) {
    try {
      const info = await api.putInputImage(bytes)
      const png = await api.inputImage(info.imageId)
      const previous = get()
      if (previous.picture !== null) URL.revokeObjectURL(previous.picture.url)
      const sameSize =
        previous.mask !== null &&
        previous.mask.width === info.width &&
        previous.mask.height === info.height
      set({
        picture: { ...info, url: pngUrl(png) },
        mask: sameSize ? previous.mask : emptyMask(info.width, info.height),
        undoStack: sameSize ? previous.undoStack : [],
        error: null
      })
      return true
    } catch (error) {
      set({ error: error instanceof Error ? error.message : String(error) })
      return false
    }
  },
  async showStored(api, imageId, maskId) {
    try {
      const png = await api.inputImage(imageId)
      const rgba = await bytesToRgba(png)
      let mask = emptyMask(rgba.width, rgba.height)
      if (maskId !== null) {
        const m = await bytesToRgba(await api.inputImage(maskId))
        if (m.width === rgba.width && m.height === rgba.height) {
          mask = maskFromRgba(m.width, m.height, m.rgba)
        }
      }
      const previous = get().picture
      if (previous !== null) URL.revokeObjectURL(previous.url)
      set({
        picture: { imageId, width: rgba.width, height: rgba.height, url: pngUrl(png) },
        mask,
        undoStack: [],
        error: null
      })
    } catch (error) {
      set({ error: error instanceof Error ? error.message : String(error) })
    }
  },
  clearPicture() {
    const previous = get().picture
    if (previous !== null) URL.revokeObjectURL(previous.url)
    set({ picture: null, mask: null, undoStack: [], error: null })
  },
  setStrength(strength) {
    set({ strength })
  },
  setTool(tool) {
    set({ tool })
  },
  setBrushSize(brushSize) {
    set({ brushSize })
  },
  checkpoint() {
    const { mask, undoStack } = get()
    if (mask === null) return
    set({ undoStack: [...undoStack, copy(mask)].slice(-UNDO_DEPTH) })
  },
  commitMask(mask) {
    set({ mask })
  },
  clearMask() {
    const { mask } = get()
    if (mask === null) return
    get().checkpoint()
    set({ mask: emptyMask(mask.width, mask.height) })
  },
  invert() {
    const { mask } = get()
    if (mask === null) return
    get().checkpoint()
    set({ mask: invertMask(mask) })
  },
  undo() {
    const { undoStack } = get()
    const last = undoStack[undoStack.length - 1]
    if (last === undefined) return
    set({ mask: last, undoStack: undoStack.slice(0, -1) })
  },
  rememberStartStep(jobId, startStep) {
    set((s) => ({ startSteps: { ...s.startSteps, [jobId]: startStep } }))
  },
  async paramsForRun(api) {
    const { picture, mask, strength } = get()
    if (picture === null) return {}
    const params: Partial<GenerateParams> = { initImage: picture.imageId, strength }
    if (mask !== null && hasRepaint(mask)) {
      const bytes = await rgbaToPngBytes({
        width: mask.width,
        height: mask.height,
        rgba: maskToRgba(mask)
      })
      params.maskImage = (await api.putInputImage(bytes)).imageId
    }
    return params
  }
}))

/**
 * Restoring a history entry's parameters restores its input picture, mask and strength (or
 * clears the input for a text-to-image entry).
 */
export async function restoreInputPicture(params: GenerateParams): Promise<void> {
  const store = useInputImageStore.getState()
  const api = useAppStore.getState().api
  if (params.initImage == null) {
    store.clearPicture()
    return
  }
  if (api === null) return
  store.setStrength(params.strength ?? LIMITS.strength.default)
  await store.showStored(api, params.initImage, params.maskImage ?? null)
}
