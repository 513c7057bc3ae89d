// Builds the engine package (packages/engine) from main/engine: one ES module bundle and one
// CommonJS bundle (npm dependencies and Node's modules left external), and the type declarations
// for each. `npm pack packages/engine` then makes the tarball.
//
//   node scripts/build-engine-package.mjs        (npm run build:engine)
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const pkgDir = join(root, 'packages', 'engine')
const dist = join(pkgDir, 'dist')
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
const dependencies = Object.keys(pkg.dependencies ?? {})

/** A bare import the bundle leaves to npm: a declared dependency or a Node module. */
function isExternal(id) {
  if (id.startsWith('node:') || builtinModules.includes(id)) return true
  return dependencies.some((d) => id === d || id.startsWith(`${d}/`))
}

async function bundle(format, outDir, fileName) {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      target: 'node20',
      outDir,
      emptyOutDir: false,
      minify: false,
      sourcemap: false,
      // The bundle is Node code: no browser polyfills, no asset copying.
      copyPublicDir: false,
      ssr: true,
      lib: {
        entry: join(root, 'main', 'engine', 'index.ts'),
        formats: [format],
        fileName: () => fileName
      },
      rollupOptions: {
        external: (id) => {
          if (id.startsWith('.') || id.startsWith('/') || id.includes(':\\')) return false
          if (isExternal(id)) return true
          throw new Error(
            `main/engine imports ${id}, which packages/engine/package.json does not list as a dependency`
          )
        },
        output: { exports: 'named', entryFileNames: fileName }
      }
    }
  })
}

/** Every `.d.ts` under `dir`. */
function declarations(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => f.endsWith('.d.ts') && statSync(f).isFile())
}

/**
 * tsc writes the declarations where the sources are (main/engine/…, shared/…); the package puts
 * the engine's at the top of `types/` and the shared ones in `types/shared/`, and every relative
 * specifier gets its file's `.js` name, as Node's ES module resolution (and TypeScript's
 * `nodenext`) require.
 */
function placeTypes(tmp, outDir) {
  const placed = (file) => {
    const rel = relative(tmp, file)
    const engine = join('main', 'engine') + sep
    if (rel.startsWith(engine)) return join(outDir, rel.slice(engine.length))
    if (rel.startsWith(`shared${sep}`)) return join(outDir, rel)
    throw new Error(`unexpected declaration outside main/engine and shared: ${rel}`)
  }
  for (const file of declarations(tmp)) {
    const target = placed(file)
    const text = readFileSync(file, 'utf8').replace(
      /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*)(['"])/g,
      (_all, head, spec, tail) => {
        const source = resolve(dirname(file), spec)
        const candidate = [`${source}.d.ts`, join(source, 'index.d.ts')].find((f) => {
          try {
            return statSync(f).isFile()
          } catch {
            return false
          }
        })
        if (candidate === undefined) throw new Error(`${file}: cannot resolve ${spec}`)
        let next = relative(dirname(target), placed(candidate)).split(sep).join('/')
        next = next.replace(/\.d\.ts$/, '.js')
        if (!next.startsWith('.')) next = `./${next}`
        return `${head}${next}${tail}`
      }
    )
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, text)
  }
}

rmSync(dist, { recursive: true, force: true })
await bundle('es', dist, 'index.js')
await bundle('cjs', join(dist, 'cjs'), 'index.js')
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n')

const tmp = join(dist, '.types-tmp')
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(pkgDir, 'tsconfig.build.json')
  ],
  { stdio: 'inherit' }
)
placeTypes(tmp, join(dist, 'types'))
rmSync(tmp, { recursive: true, force: true })
// The same declarations under the CommonJS build: its package.json makes them CommonJS-format.
cpSync(join(dist, 'types'), join(dist, 'cjs', 'types'), { recursive: true })
console.log(`built ${relative(root, dist)}: ESM, CommonJS and types of ${pkg.name}@${pkg.version}`)
