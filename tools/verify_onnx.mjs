// Checks exported ONNX models against PyTorch reference outputs, and the shipped tokenizers
// against fixtures/tokenizer-reference.json, in Node with the app's own runtime packages.
//
//   node tools/verify_onnx.mjs <case.json | folder of case files> ... [--tokenizers]
//
// A case file (written by tools/onnx_export.py) holds {model, inputs, outputs}; every tensor is
// {type, dims, data}. Exit code 1 if any output differs by more than the tolerance.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const ort = require('onnxruntime-node')
// Tolerance on max |torch - ort|, relative to max(1, max |reference|).
const tol = Number(process.env.VERIFY_TOL ?? '5e-5')

function toTensor(t) {
  if (t.type === 'int64')
    return new ort.Tensor('int64', BigInt64Array.from(t.data.map((v) => BigInt(v))), t.dims)
  if (t.type === 'int32') return new ort.Tensor('int32', Int32Array.from(t.data), t.dims)
  return new ort.Tensor('float32', Float32Array.from(t.data), t.dims)
}

async function checkCase(file) {
  const c = JSON.parse(fs.readFileSync(file, 'utf8'))
  const session = await ort.InferenceSession.create(c.model, { intraOpNumThreads: 2 })
  const feeds = {}
  for (const [k, v] of Object.entries(c.inputs)) feeds[k] = toTensor(v)
  const out = await session.run(feeds)
  let worst = 0
  let ok = true
  const parts = []
  for (const [k, ref] of Object.entries(c.outputs)) {
    const got = out[k]
    if (!got) throw new Error(`${file}: output ${k} missing (have ${Object.keys(out)})`)
    if (JSON.stringify(Array.from(got.dims)) !== JSON.stringify(ref.dims)) {
      ok = false
      parts.push(`${k}: dims ${got.dims} != ${ref.dims}`)
      continue
    }
    let m = 0
    let scale = 0
    for (let i = 0; i < ref.data.length; i++) {
      m = Math.max(m, Math.abs(got.data[i] - ref.data[i]))
      scale = Math.max(scale, Math.abs(ref.data[i]))
    }
    worst = Math.max(worst, m)
    parts.push(
      `${k}${JSON.stringify(ref.dims)} maxdiff ${m.toExponential(2)} (max|ref| ${scale.toFixed(3)})`
    )
    if (!(m <= tol * Math.max(1, scale))) ok = false
  }
  const meta = session.inputMetadata
    ? session.inputNames.map((n, i) => {
        const md = session.inputMetadata[i]
        return md ? `${n}:${md.type}[${(md.shape ?? []).join(',')}]` : n
      })
    : session.inputNames
  console.log(
    `${ok ? 'OK  ' : 'FAIL'} ${path.relative(process.cwd(), c.model)} (${path.basename(file)}) in ${meta.join(' ')}`
  )
  for (const p of parts) console.log(`       ${p}`)
  return ok
}

async function checkTokenizers() {
  const { Tokenizer } = await import('@huggingface/tokenizers')
  const ref = JSON.parse(fs.readFileSync('fixtures/tokenizer-reference.json', 'utf8'))
  let ok = true
  for (const [folder, r] of Object.entries(ref)) {
    if (folder.startsWith('_')) continue
    const tj = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8'))
    const tc = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8'))
    const tok = new Tokenizer(tj, tc)
    let bad = 0
    for (const c of r.cases) {
      const enc = tok.encode(c.text).ids.map(Number)
      let ids = enc
      if (ids.length > r.model_max_length) ids = [...ids.slice(0, r.model_max_length - 1), r.eos_id]
      while (ids.length < r.model_max_length) ids.push(r.pad_id)
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
        bad++
        console.log(
          `  MISMATCH ${folder} ${JSON.stringify(c.text)}\n    js  ${enc}\n    ref ${c.ids}`
        )
      }
    }
    console.log(
      `${bad ? 'FAIL' : 'OK  '} ${folder}: ${r.cases.length - bad}/${r.cases.length} reference tokenizations match @huggingface/tokenizers`
    )
    if (bad) ok = false
  }
  return ok
}

let ok = true
for (const arg of process.argv.slice(2)) {
  if (arg === '--tokenizers') {
    ok = (await checkTokenizers()) && ok
    continue
  }
  const files = fs.statSync(arg).isDirectory()
    ? fs
        .readdirSync(arg)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => path.join(arg, f))
    : [arg]
  for (const f of files) ok = (await checkCase(f)) && ok
}
console.log(ok ? 'ALL OK' : 'SOME CHECKS FAILED')
process.exit(ok ? 0 : 1)
