import { defineConfig } from 'vitest/config'

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    include: [
      'main/**/*.test.ts',
      'shared/**/*.test.ts',
      'testing/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
      'examples/**/*.test.ts',
      'bench/**/*.test.ts',
      'tools/**/*.test.ts'
    ],
    // Real onnxruntime sessions on a 2-core machine: keep files from fighting over the cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
