export * from './latent-rgb-factors'
export * from './latents-to-rgb'
export * from './preview-method'
export * from './preview-renderer'
