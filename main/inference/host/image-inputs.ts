import type {
  DiffusionPipeline,
  PipelineMaskInput,
  PipelineOutput,
  RgbaImage,
  SDXLInpaintCallOptions
} from '../../engine'
import { AutoPipelineForImage2Image, AutoPipelineForInpainting, isGreyscale } from '../../engine'
import type { GenerationRequest, RgbaFrame } from '../protocol'

/** A transferred frame as the engine's RGBA picture. */
export function rgbaOf(frame: RgbaFrame): RgbaImage {
  return { width: frame.width, height: frame.height, data: new Uint8Array(frame.rgba) }
}

/**
 * The image-to-image or inpainting pipeline on the cached text-to-image pipeline's sessions and
 * scheduler (diffusers' `from_pipe`): nothing is loaded twice, the VAE encoder joins on first use.
 */
export function imagePipelineFor(pipe: DiffusionPipeline, inpaint: boolean): ImageRunner {
  const runner = inpaint
    ? AutoPipelineForInpainting.fromPipe(pipe)
    : AutoPipelineForImage2Image.fromPipe(pipe)
  // Every image pipeline takes a subset of the SDXL inpainting options; the host passes only
  // the ones they share (and the mask only to an inpainting pipeline).
  return runner as unknown as ImageRunner
}

/** The options an image run of the host passes (the image pipelines' common ones). */
export type ImageRunOptions = Omit<SDXLInpaintCallOptions<'image'>, 'maskImage'> & {
  maskImage?: PipelineMaskInput
}

/** An image-to-image or inpainting pipeline as the host calls it. */
export interface ImageRunner {
  call(options: ImageRunOptions): Promise<PipelineOutput<'image'>>
}

/**
 * What an image run adjusts, said in the user's terms before it starts: a picture or mask of
 * another size than the run is resized; a mask in colour is converted to grey (white repaints).
 */
export function imageRunNotices(
  request: Pick<GenerationRequest, 'width' | 'height'>,
  image: RgbaFrame,
  mask: RgbaFrame | null
): string[] {
  const notices: string[] = []
  const { width, height } = request
  const size = (f: RgbaFrame): string => `${f.width}×${f.height}`
  if (width !== undefined && height !== undefined) {
    if (image.width !== width || image.height !== height) {
      notices.push(`the input image (${size(image)}) was resized to ${width}×${height}`)
    }
    if (mask !== null && (mask.width !== width || mask.height !== height)) {
      notices.push(`the mask (${size(mask)}) was resized to ${width}×${height}`)
    }
  } else if (mask !== null && (mask.width !== image.width || mask.height !== image.height)) {
    notices.push(`the mask (${size(mask)}) was resized to the input image's size (${size(image)})`)
  }
  if (mask !== null && !isGreyscale(rgbaOf(mask))) {
    notices.push(
      'the mask is not greyscale: it was converted to grey (0.299 R + 0.587 G + 0.114 B); white repaints, black keeps'
    )
  }
  return notices
}
