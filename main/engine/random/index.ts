/**
 * PyTorch-compatible random numbers: a CPU {@link Generator} (MT19937) and the `randn` / `rand`
 * functions that turn its stream into the same float32 tensors torch produces for a seed.
 */
export { Generator, DEFAULT_SEED, getDefaultGenerator } from './generator'
export type { GeneratorState, Seed } from './generator'
export type { Mt19937State } from './mt19937'
export { randn, rand, fillNormal } from './distributions'
export type { RandomOptions } from './distributions'
export { randnTensor } from './randn-tensor'
export type { RandnTensorOptions } from './randn-tensor'
