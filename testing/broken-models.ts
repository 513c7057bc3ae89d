import { promises as fs } from 'node:fs'
import path from 'node:path'
import { SD_DIR, SDXL_DIR } from './fixture-models'

/**
 * Test support: broken copies of the fixture models, built in a temporary folder at test time
 * (never committed), one per way a model folder people download or convert can be wrong.
 */

/** One broken model folder and what its error must name. */
export interface BrokenModel {
  /** Folder name (also usable as a model id). */
  name: string
  /** What is wrong, for test titles. */
  what: string
  dir: string
  /** The error (from whichever layer finds it) must match this. */
  error: RegExp
}

async function copy(src: string, dest: string): Promise<string> {
  await fs.cp(src, dest, { recursive: true, dereference: true })
  return dest
}

async function editJson(
  file: string,
  edit: (json: Record<string, unknown>) => Record<string, unknown>
): Promise<void> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
  await fs.writeFile(file, JSON.stringify(edit(json)))
}

/** Builds every broken variant under `root` (an empty temporary folder). */
export async function makeBrokenModels(root: string): Promise<BrokenModel[]> {
  const sd = (name: string): Promise<string> => copy(SD_DIR, path.join(root, name))
  const models: BrokenModel[] = []
  const add = (name: string, what: string, error: RegExp): void => {
    models.push({ name, what, dir: path.join(root, name), error })
  }

  // A folder with model_index.json but nothing else (an interrupted copy or download).
  await fs.mkdir(path.join(root, 'only-index'))
  await fs.copyFile(
    path.join(SD_DIR, 'model_index.json'),
    path.join(root, 'only-index', 'model_index.json')
  )
  add('only-index', 'a partial folder (only model_index.json)', /model\.onnx is missing/)

  const noUnet = await sd('no-unet')
  await fs.rm(path.join(noUnet, 'unet', 'model.onnx'))
  add('no-unet', 'a folder without unet/model.onnx', /unet\/model\.onnx is missing/)

  const notJson = await sd('index-not-json')
  await fs.writeFile(path.join(notJson, 'model_index.json'), '{ "_class_name": ')
  add('index-not-json', 'model_index.json that is not JSON', /model_index\.json is not valid JSON/)

  const flux = await sd('unknown-pipeline')
  await editJson(path.join(flux, 'model_index.json'), () => ({ _class_name: 'MagicPipeline' }))
  add(
    'unknown-pipeline',
    'model_index.json naming an unknown pipeline',
    /names the pipeline "MagicPipeline", which Stepwise cannot run \(supported: /
  )

  const truncated = await sd('truncated-onnx')
  const unetFile = path.join(truncated, 'unet', 'model.onnx')
  const bytes = await fs.readFile(unetFile)
  await fs.writeFile(unetFile, bytes.subarray(0, Math.floor(bytes.length / 3)))
  add('truncated-onnx', 'a truncated unet/model.onnx', /unet\/model\.onnx/)

  const corrupt = await sd('corrupt-onnx')
  await fs.writeFile(path.join(corrupt, 'text_encoder', 'model.onnx'), 'not an onnx file at all')
  add('corrupt-onnx', 'a text_encoder/model.onnx that is not ONNX', /text_encoder\/model\.onnx/)

  // SDXL's UNet in an SD folder: inputs text_embeds/time_ids the SD pipeline does not feed, and
  // 96-wide encoder_hidden_states where SD's text encoder gives 32.
  const wrongIo = await sd('wrong-unet-io')
  await fs.cp(path.join(SDXL_DIR, 'unet'), path.join(wrongIo, 'unet'), {
    recursive: true,
    dereference: true
  })
  add('wrong-unet-io', 'a UNet with unexpected input names', /unet\/model\.onnx .*text_embeds/)

  // A UNet config claiming 9 input channels (an inpainting UNet) for a 4-channel graph.
  const channels = await sd('wrong-channels')
  await editJson(path.join(channels, 'unet', 'config.json'), (c) => ({ ...c, in_channels: 9 }))
  add(
    'wrong-channels',
    'a UNet config whose channel count the graph does not take',
    /unet\/config.json sets in_channels 9, but unet\/model.onnx takes 4-channel samples/
  )

  const noTokenizer = await sd('no-tokenizer')
  await fs.rm(path.join(noTokenizer, 'tokenizer'), { recursive: true })
  add('no-tokenizer', 'a missing tokenizer', /tokenizer/)

  const noScheduler = await sd('no-scheduler')
  await fs.rm(path.join(noScheduler, 'scheduler'), { recursive: true })
  add('no-scheduler', 'a missing scheduler config', /scheduler_config\.json/)

  const noVae = await sd('no-vae')
  await fs.rm(path.join(noVae, 'vae_decoder'), { recursive: true })
  add('no-vae', 'a missing VAE decoder', /vae_decoder\/model\.onnx is missing/)

  return models
}
