import { Tensor } from 'onnxruntime-node'
import { float32Data } from '../tensor/float-tensor'

/**
 * Scratch memory of one denoising loop, reused from step to step. Only buffers nobody keeps
 * live here: the UNet's `sample` feed is read by `session.run` and by nothing after it (a
 * callback, a snapshot or a preview never sees it), so its doubled batch can be written into the
 * same memory at every step. Allocating a fresh 128 KiB Float32Array per step at 64×64 latents
 * costs as much as the arithmetic around it (zeroing, external-memory accounting, GC).
 */
export class LoopBuffers {
  private doubled: Float32Array | null = null

  /**
   * `torch.cat([x, x])` of an already scaled model input, written into this loop's buffer. The
   * loop scales the B rows once and doubles them afterwards instead of scaling the 2B rows of
   * `[latents, latents]`: every scheduler's `scale_model_input` is element-wise, so both
   * orders give the same bits at half the arithmetic.
   */
  doubledBatch(scaled: Tensor): Tensor {
    const src = float32Data(scaled)
    const size = src.length * 2
    if (this.doubled === null || this.doubled.length !== size) this.doubled = new Float32Array(size)
    const out = this.doubled
    out.set(src, 0)
    out.set(src, src.length)
    const [rows, ...tail] = scaled.dims as number[]
    return new Tensor('float32', out, [(rows as number) * 2, ...tail])
  }
}
