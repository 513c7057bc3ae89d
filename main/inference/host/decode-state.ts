import { performance } from 'node:perf_hooks'
import type { RunSnapshot } from '../../engine'
import { Tensor } from '../../engine'
import type { DecodedState, GenerationRequest } from '../protocol'
import { applyMemoryMode } from './apply-plan'
import type { PipelineCache } from './pipeline-cache'
import { planOn, toFrame } from './run-generation'

/**
 * After "stop now": the previous inference process was ended in the middle of a step, and main
 * sends the last finished step's state back to a fresh one. This decodes that state's latents
 * with the VAE, as the stopped run would have decoded them at its stop (diffusers' `vae.decode`
 * of the loop's latents), loading only what the decode needs: the configs, tokenizers and the
 * VAE decoder. The rest of the model loads afterwards ({@link reloadModel}).
 */
export async function decodeState(
  request: GenerationRequest,
  snapshot: RunSnapshot,
  cache: PipelineCache
): Promise<DecodedState> {
  const started = performance.now()
  const cached = await cache.get(request.modelDir, request.provider)
  // Planned only (the result reports the plan): the decode itself needs no scheduler.
  const plan = planOn(cached, request)
  const latents = snapshot.tensors['latents']
  if (latents === undefined || latents === null) {
    throw new Error(`the state of step ${snapshot.step + 1} holds no latents to decode`)
  }
  // In tiles when the run decoded in tiles: the plan chose them because a whole decode would not
  // fit, and a fresh process's memory is no larger.
  applyMemoryMode(cached.pipe, request.memoryMode ?? 'normal')
  const images = await cached.pipe.decodeLatents(new Tensor('float32', latents.data, latents.dims))
  const used = await cached.pipe.usedProviders()
  const strength =
    request.initImage === undefined || request.initImage === null
      ? null
      : (request.strength ?? 0.75)
  return {
    images: images.map(toFrame),
    family: cached.pipe.family,
    scheduler: plan.schedulerName,
    numTimesteps: plan.numTimesteps,
    startStep: plan.startStep,
    strength,
    useKarrasSigmas: plan.useKarrasSigmas,
    ...(plan.algorithmType === undefined ? {} : { algorithmType: plan.algorithmType }),
    provider: (used as Record<string, string>)['vae_decoder'] ?? request.provider,
    decodeMs: performance.now() - started
  }
}

/** Loads every session of the request's model (the background reload after "stop now"). */
export async function reloadModel(request: GenerationRequest, cache: PipelineCache): Promise<void> {
  const cached = await cache.get(request.modelDir, request.provider)
  await cached.pipe.load()
}
