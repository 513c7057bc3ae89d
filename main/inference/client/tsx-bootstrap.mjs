// Starts the inference process from its TypeScript sources (tests, development):
// `fork(tsx-bootstrap.mjs, [main/inference/entry.ts])`. The built app runs out/main/inference.js
// instead and never loads this file.
//
// The package is CommonJS, so tsx loads entry.ts and its imports as CommonJS: tsx's CJS hook
// compiles them on require(); its ESM hook covers the first import() below. Both are needed.
import { register } from 'tsx/esm/api'
import { register as registerCommonJs } from 'tsx/cjs/api'
import { pathToFileURL } from 'node:url'

const entry = process.argv[2]
if (entry === undefined) throw new Error('usage: tsx-bootstrap.mjs <entry.ts>')
register()
registerCommonJs()
await import(pathToFileURL(entry).href)
