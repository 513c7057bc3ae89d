import {
  A1111_SAMPLERS,
  ALGORITHM_TYPES,
  LIMITS,
  PROVIDER_NAMES,
  SCHEDULER_ALIASES,
  SCHEDULER_CLASS_NAMES
} from '../../shared/params'

/** `--help` without a command. */
export const MAIN_HELP = `Usage: npm run cli -- <command> [options]
       node out/main/cli.js <command> [options]

Commands:
  generate [options]      generate an image with a diffusers ONNX model (see generate --help)
  capabilities [--json]   show the app version, onnxruntime version and execution providers
  models list|info|add|remove|download   the model library the app uses, and Hub downloads
                          (see models --help)
  --help                  show this help
  --version               print the version

Exit codes: 0 success, 1 a failure while running, 2 invalid arguments (nothing was run).`

/** Words joined with ", " and wrapped to lines indented for the help's second column. */
function wrapList(items: readonly string[], indent = 28, width = 100): string {
  const lines: string[] = []
  let line = ''
  for (const item of items) {
    const next = line === '' ? item : `${line}, ${item}`
    if (indent + next.length + 1 > width && line !== '') {
      lines.push(`${line},`)
      line = item
    } else {
      line = next
    }
  }
  if (line !== '') lines.push(line)
  return lines.join(`\n${' '.repeat(indent)}`)
}

const schedulerAliases = wrapList(
  Object.entries(SCHEDULER_ALIASES).map(
    ([alias, name]) => `${alias}=${name.replace(/Scheduler$/, '')}`
  )
)
const a1111Names = wrapList(Object.keys(A1111_SAMPLERS).map((name) => JSON.stringify(name)))

/** `generate --help`. */
export const GENERATE_HELP = `Usage: npm run cli -- generate --model DIR --prompt TEXT [options]

Runs text-to-image with the diffusers pipeline callbacks Stepwise implements, writes a PNG that
carries its parameters in an AUTOMATIC1111-compatible "parameters" text chunk, and reports every
denoising step (progress on stderr; with --json, one JSON object on stdout).

Required (with --resume, both default to the saved run's):
  --model DIR               diffusers/optimum ONNX model folder (with model_index.json)
  --prompt TEXT             what to generate

Generation (defaults come from the model):
  --negative-prompt TEXT    what to steer away from (default: empty)
  --steps N                 num_inference_steps, an integer from ${LIMITS.steps.min} to ${LIMITS.steps.max}
  --guidance G              guidance_scale, a number from ${LIMITS.guidanceScale.min} to ${LIMITS.guidanceScale.max}
                            (classifier-free guidance runs when G > 1)
  --seed S                  an integer from 0 to ${LIMITS.seed.max} (default: random, printed)
  --width W, --height H     pixels, multiples of 8 from ${LIMITS.size.min} to ${LIMITS.size.max}

Image-to-image and inpainting:
  --init-image FILE         start from this PNG or JPEG picture (resized to --width x --height;
                            default: its own size rounded down to the model's size multiple)
  --strength S              how much of the schedule runs from the picture, above 0 and at most 1
                            (A1111's denoising strength; default ${LIMITS.strength.default}): int(steps * S)
                            steps run, the first at step index 0
  --mask FILE               inpaint: a PNG or JPEG the size of the picture (another size is
                            resized), white = repaint, black = keep; colour is converted to grey
  --scheduler NAME          a diffusers class name: ${wrapList(SCHEDULER_CLASS_NAMES)}
                            or an alias: ${schedulerAliases}
                            or an AUTOMATIC1111 sampler name (quoted; it also sets the Karras
                            sigmas and algorithm type it implies):
                            ${a1111Names}
                            (default: the model's scheduler_config.json)
  --karras                  use Karras sigmas (use_karras_sigmas=True)
  --algorithm-type NAME     the DPM-Solver schedulers' algorithm_type:
                            ${ALGORITHM_TYPES.join(', ')}
                            (sde-dpmsolver++ is DPM++ 2M SDE; default: the scheduler config's)
  --provider NAME           ${PROVIDER_NAMES.join(', ')} (default: auto = the platform's GPU
                            provider when this install has it, else cpu; a provider that is not
                            available or fails to load falls back to cpu with a warning saying why;
                            see npm run cli -- capabilities)
  --low-memory auto|on|off  the low-memory mode: the VAE decodes in tiles (diffusers'
                            enable_vae_tiling) and the UNet runs one row per call (classifier-free
                            guidance as separate unconditional and conditional calls). auto
                            (default): only when the normal mode's estimated memory is over 75% of
                            this machine's memory, said on stderr; on: always; off: never (a size
                            that does not fit is refused)

Callbacks (diffusers semantics; T = the number of timesteps the loop runs):
  --cfg-cutoff-ratio R      end classifier-free guidance after step index int(T*R), R in [0, 1]
                            (SDCFGCutoffCallback / SDXLCFGCutoffCallback with cutoff_step_ratio)
  --cfg-cutoff-step K       end classifier-free guidance after step index K (cutoff_step_index)
                            (give at most one of the two cutoff options)
  --stop-at-step K          set pipeline._interrupt at the end of step index K: K+1 steps run and
                            the partially denoised image is still decoded (early stopping)
  --cfg-interval A:B        classifier-free guidance only for step indices int(T*A) <= i < int(T*B)
                            (A < B in [0, 1], e.g. 0.2:0.8; the other steps run the UNet at batch 1)
  --cfg-interval-steps I:J  the same with step indices: guidance for I <= i < J
                            (with a cutoff too, guidance runs where both allow it)

Run state (continue a stopped run, or branch from it):
  --save-state FILE         write the run's state after its last step (the --stop-at-step step, or
                            where Ctrl-C stopped it, or the end) to FILE: latents, scheduler,
                            random and guidance state, in Stepwise's run snapshot format
  --resume FILE             continue the run saved in FILE: the remaining steps give the image the
                            uninterrupted run would have given. Model, prompts, seed, size, steps,
                            scheduler and guidance default to the saved run's; size, steps,
                            scheduler and seed cannot change. Branch by giving --prompt,
                            --negative-prompt, --guidance, a CFG cutoff or --cfg-interval

Output:
  --out FILE.png            where to write the image (default: ./stepwise-<seed>.png, with -1, -2, …
                            appended rather than overwrite an existing file; --out overwrites)
  --previews DIR            write DIR/<step index>.png for every step run, like the docs'
                            decode_tensors: a preview of the scheduler's predicted x0 (where it
                            gives one), made by --preview-method
  --preview-method M        how previews are made (PreviewCallback's method):
                              linear  the latent->RGB table, at latent resolution (width/8 x
                                      height/8); well under 1 ms
                              tiny    a TAESD-class tiny decoder, full resolution; a few % of a
                                      step; needs preview_decoder/model.onnx in the model folder
                                      or --preview-decoder
                              vae     the model's own VAE decoder every step, full resolution
                              vae:N   the VAE at steps 0, N, 2N, ... and the last, linear between
                            (default with --previews: tiny where the model has a tiny decoder,
                            else linear; without --previews: linear, the cheapest)
  --preview-decoder PATH    a TAESD decoder for tiny previews: a folder in the Hub's layout
                            (vae_decoder/model.onnx, e.g. a download of deinferno/taesd-onnx for
                            SD 1.x/2.x or julienkay/taesdxl for SDXL) or an .onnx file
  --json                    print one JSON object on stdout and nothing else:
                            { model, family, provider, seed, width, height, scheduler,
                              numInferenceSteps, numTimesteps, strength, startStep,
                              stepsRun, interrupted, previewMethod,
                              steps: [{ index, timestep, ms, unetBatch, cfg, guidanceScale,
                                        previewMethod, previewMs }],
                              totalMs, unetMs, output,
                              resumedFrom: { step, parentSeed, parentPrompt } or null,
                              savedState: FILE or null }
                            (a step's previewMethod is what made its preview: a vae:N run has
                            vae and linear steps; previewMs is its cost, part of ms)
                            (the project's .npmrc keeps npm's own banner off stdout)
  --help                    show this help

Ctrl-C once stops at the end of the current step and still writes the image; twice stops now:
the step in progress is abandoned and the last finished step's image (and state, with
--save-state) is written, decoded by a fresh inference process (none when no step had finished);
three times quits. Each exits with code 130.

Examples:
  npm run cli -- generate --model resources/models/stepwise-shapes-64 --prompt "a red circle"
  npm run cli -- generate --model fixtures/models/tiny-sdxl-random --prompt "a sports car" \\
      --scheduler dpm++ --karras --guidance 6.5 --steps 25 --cfg-cutoff-ratio 0.4 --seed 42
  npm run cli -- generate --model resources/models/stepwise-shapes-64 --prompt "a blue square" \\
      --scheduler "DPM++ 2M SDE Karras" --steps 20 --seed 7
  npm run cli -- generate --model fixtures/models/tiny-sd-random --prompt "a photo of a cat" \\
      --steps 50 --stop-at-step 10 --previews previews/ --out cat.png --json
  npm run cli -- generate --model resources/models/stepwise-shapes-64 --prompt "a red circle" \\
      --steps 40 --seed 3 --stop-at-step 11 --save-state circle.state
  npm run cli -- generate --resume circle.state                    # the same image as 40 steps
  npm run cli -- generate --resume circle.state --prompt "a red square" --cfg-interval 0.2:0.8
  npm run cli -- generate --model resources/models/stepwise-shapes-64 \\
      --prompt "a green square on a white background" --previews previews/ --preview-method vae:5

Exit codes: 0 success, 1 a failure while running, 2 invalid arguments (nothing was run).`

/** `models --help`. */
export const MODELS_HELP = `Usage: npm run cli -- models <command> [options]

The model library shared with the app: the app's model folders (built in) plus the folders you
add, remembered in <data folder>/model-library.json.

Commands:
  models list [--json]          every model (id, family, precision, size, source, path) and the
                                folders that cannot be used, with the reason
  models info DIR|ID [--json]   family, defaults, layout and every graph's inputs and outputs;
                                for an unusable folder, exactly what is wrong (exit code 1)
  models add DIR [--json]       check a diffusers/optimum ONNX folder and add it to the library
  models remove ID              forget a library entry (its files stay where they are)
  models download REPO [--revision R] [--dest DIR] [--token-env VAR]
                                fetch a Hugging Face Hub repository's ONNX pipeline (progress on
                                stderr; run again to resume) into <data folder>/models/ and add
                                it to the library (see models download --help)

Options:
  --data-dir DIR     the data folder holding model-library.json (default: the app's own)
  --models-dir DIR   the built-in models folder (default: the shipped resources/models)
  --json             print one JSON object on stdout and nothing else

Families: SD 1.x, SD 2.x, SD-Turbo, SDXL, SDXL-Turbo. SD3, Flux, image-to-image and other
pipelines are reported as not supported yet, naming the pipeline class.`
