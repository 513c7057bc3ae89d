import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The repository's fixture model folders. */
export const FIXTURE_MODELS = resolve(__dirname, '../fixtures/models')
/** The tiny random-weight SD 1.x fixture. */
export const SD_DIR = join(FIXTURE_MODELS, 'tiny-sd-random')
/** The tiny random-weight SDXL fixture. */
export const SDXL_DIR = join(FIXTURE_MODELS, 'tiny-sdxl-random')
/** SD 1.x with a 9-channel inpainting UNet (the random fixture's encoders and VAE). */
export const SD_INPAINT_DIR = join(FIXTURE_MODELS, 'tiny-sd-inpaint')
/** SDXL with a 9-channel inpainting UNet. */
export const SDXL_INPAINT_DIR = join(FIXTURE_MODELS, 'tiny-sdxl-inpaint')
/** An SDXL refiner: second text encoder only, `requires_aesthetics_score`. */
export const SDXL_REFINER_DIR = join(FIXTURE_MODELS, 'tiny-sdxl-refiner')
/** The random-weight TAESD decoder in the Hub's layout (`vae_decoder/model.onnx`). */
export const TAESD_DIR = join(FIXTURE_MODELS, 'taesd-random')
/** The shipped model (with its own tiny decoder, `preview_decoder/`). */
export const SHIPPED_DIR = resolve(__dirname, '../resources/models/stepwise-shapes-64')

/**
 * A models folder holding exactly the named fixture models (as links), so tests do not depend
 * on which other fixtures exist.
 */
export function fixtureModelsDir(
  names: readonly string[] = ['tiny-sd-random', 'tiny-sdxl-random']
): string {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-fixture-models-'))
  for (const name of names) symlinkSync(join(FIXTURE_MODELS, name), join(dir, name), 'dir')
  return dir
}
