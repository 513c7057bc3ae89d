import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'

const root = __dirname

/**
 * One build for every process. The main bundle has several entries because the same engine
 * serves three front ends (Electron, the browser-mode server and the CLI) and the inference
 * process must be its own file for `utilityProcess.fork(path)` / `child_process.fork(path)`.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          server: resolve(root, 'main/server.ts'),
          cli: resolve(root, 'main/cli.ts'),
          inference: resolve(root, 'main/inference/entry.ts')
        }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(root, 'main/preload/index.ts') }
      }
    }
  },
  renderer: {
    root: resolve(root, 'renderer'),
    // Relative asset URLs: the same bundle loads from file:// in Electron and http:// in browser mode.
    base: './',
    esbuild: { jsx: 'automatic' },
    build: {
      outDir: resolve(root, 'out/renderer'),
      minify: true,
      rollupOptions: {
        input: resolve(root, 'renderer/index.html'),
        onwarn(warning, warn) {
          // zod's sources carry /*#__PURE__*/ comments Rollup cannot place; harmless noise that
          // would otherwise land on the CLI's stderr whenever it rebuilds on demand.
          if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return
          warn(warning)
        }
      }
    }
  }
})
