import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  // The examples import the engine by its package name, as a user of the package does.
  resolve: { alias: { '@stepwise/engine': resolve(__dirname, 'main/engine/index.ts') } },
  test: {
    include: [
      'main/**/*.test.ts',
      'shared/**/*.test.ts',
      'testing/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
      'examples/**/*.test.ts',
      'bench/**/*.test.ts',
      'tools/**/*.test.ts',
      'packages/*/*.test.ts'
    ],
    // Real onnxruntime sessions on a 2-core machine: keep files from fighting over the cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
