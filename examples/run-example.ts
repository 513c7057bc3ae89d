/**
 * Runs one example from the command line:
 *
 *   npx tsx examples/run-example.ts <example> <model dir> <output dir>
 *
 * e.g. `npx tsx examples/run-example.ts official-callback fixtures/models/tiny-sdxl-random out/ex`.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { displayIntermediateImagesExample } from './display-intermediate-images'
import { dynamicCfgExample } from './dynamic-cfg'
import { earlyStoppingExample } from './early-stopping'
import { officialCallbackExample } from './official-callback'

const EXAMPLES: Record<
  string,
  (modelDir: string, outDir: string) => Promise<{ stepsRun: number; numTimesteps: number }>
> = {
  'official-callback': officialCallbackExample,
  'early-stopping': earlyStoppingExample,
  'display-intermediate-images': displayIntermediateImagesExample,
  'dynamic-cfg': dynamicCfgExample
}

async function main(argv: string[]): Promise<number> {
  const [name, modelDir, outDir] = argv
  const run = name === undefined ? undefined : EXAMPLES[name]
  if (run === undefined || modelDir === undefined || outDir === undefined) {
    console.error(
      `usage: npx tsx examples/run-example.ts <${Object.keys(EXAMPLES).join('|')}> <model dir> <output dir>`
    )
    return 2
  }
  mkdirSync(resolve(outDir), { recursive: true })
  const out = await run(resolve(modelDir), resolve(outDir))
  console.log(`${name}: ${out.stepsRun} of ${out.numTimesteps} steps; files in ${resolve(outDir)}`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
)
