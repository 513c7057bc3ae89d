export * from './latent-rgb-factors'
export * from './latents-to-rgb'
