// GPU check: which onnxruntime execution providers load on this machine, and the step times of
// the default model on each one. Plain JavaScript on onnxruntime-node alone, so it runs on a
// machine with a GPU and no network from a copy of the working tree (see bench/README.md,
// "GPU check"). Prints a text table on stderr and one JSON object on stdout (or --out FILE).
//
//   node bench/gpu-check.mjs [--model DIR] [--runs N] [--out FILE] [--budget-s S]
//   node bench/gpu-check.mjs --prepare   # pack onnxruntime-node (this platform only) into
//                                        # bench/.gpu-check-runtime.tar.gz to carry to that machine
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runtimeDir = path.join(root, 'bench', '.gpu-check-runtime')
const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback
}
const startedAt = Date.now()

/** Copies onnxruntime-node's JS and this platform's binaries (about 47 MB on Linux x64). */
function prepare() {
  const req = createRequire(path.join(root, 'package.json'))
  const ortDir = path.dirname(req.resolve('onnxruntime-node/package.json'))
  // onnxruntime-common exports no package.json: walk up from its entry to the package root.
  let commonDir = path.dirname(req.resolve('onnxruntime-common'))
  while (readJson(path.join(commonDir, 'package.json'))?.name !== 'onnxruntime-common') {
    commonDir = path.dirname(commonDir)
  }
  rmSync(runtimeDir, { recursive: true, force: true })
  const dest = path.join(runtimeDir, 'node_modules')
  const bin = path.join('bin', 'napi-v6', process.platform, process.arch)
  for (const f of ['package.json', 'dist', bin]) {
    cpSync(path.join(ortDir, f), path.join(dest, 'onnxruntime-node', f), { recursive: true })
  }
  for (const f of ['package.json', 'dist']) {
    cpSync(path.join(commonDir, f), path.join(dest, 'onnxruntime-common', f), { recursive: true })
  }
  // Packed, because the unpacked library alone (46 MB on Linux x64) plus the working tree would
  // not fit the 64 MiB a device call carries; gpu-check.sh unpacks it there.
  execFileSync('tar', [
    'czf',
    `${runtimeDir}.tar.gz`,
    '-C',
    path.dirname(runtimeDir),
    path.basename(runtimeDir)
  ])
  const size = execFileSync('du', ['-sh', `${runtimeDir}.tar.gz`])
    .toString()
    .split('\t')[0]
  console.error(`prepared bench/.gpu-check-runtime.tar.gz (${size}); carry it to the GPU machine`)
}

/** onnxruntime-node from the checkout's node_modules, else from the carried runtime. */
function loadOrt() {
  for (const base of [root, runtimeDir]) {
    try {
      const req = createRequire(path.join(base, 'package.json'))
      const dir = path.dirname(req.resolve('onnxruntime-node/package.json'))
      return { ort: req('onnxruntime-node'), dir }
    } catch {
      // try the next place
    }
  }
  return null
}

function sh(cmd, argv) {
  try {
    return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 15_000 })
      .toString()
      .trim()
  } catch {
    return null
  }
}

/** The GPU and the shared libraries the GPU providers need, as the dynamic loader sees them. */
function hostReport() {
  const ldconfig = sh('ldconfig', ['-p']) ?? ''
  const has = (re) => re.test(ldconfig)
  return {
    platform: process.platform,
    arch: process.arch,
    node: process.version,
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    gpu: sh('nvidia-smi', [
      '--query-gpu=name,driver_version,memory.total',
      '--format=csv,noheader'
    ]),
    cudaDriverVersion: (sh('nvidia-smi', []) ?? '').match(/CUDA Version: ([\d.]+)/)?.[1] ?? null,
    libraries:
      process.platform === 'linux'
        ? {
            'libcudart.so.12': has(/libcudart\.so\.12/),
            'libcublas.so.12': has(/libcublas\.so\.12/),
            'libcudnn.so.9': has(/libcudnn\.so\.9/),
            'libvulkan.so.1': has(/libvulkan\.so\.1/)
          }
        : null
  }
}

/** Native files the optional CUDA install adds beside the binding. */
const CUDA_FILES = {
  linux: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
  win32: ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll']
}

/** float32 → IEEE half bits (round to nearest; enough for test inputs in [-1, 1] and timesteps). */
function toHalf(values) {
  const f = new Float32Array(1)
  const u = new Uint32Array(f.buffer)
  return Uint16Array.from(values, (v) => {
    f[0] = v
    const x = u[0]
    const sign = (x >>> 16) & 0x8000
    const exp = ((x >>> 23) & 0xff) - 127 + 15
    if (exp <= 0) return sign
    if (exp >= 31) return sign | 0x7c00
    return sign | (exp << 10) | (((x >>> 13) & 0x3ff) + ((x >>> 12) & 1))
  })
}

function tensor(ort, type, dims, fill) {
  const n = dims.reduce((a, b) => a * b, 1)
  const values = Array.from({ length: n }, (_, i) => fill(i))
  if (type === 'float16') return new ort.Tensor('float16', toHalf(values), dims)
  if (type === 'int64')
    return new ort.Tensor(
      'int64',
      BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))),
      dims
    )
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values, Math.trunc), dims)
  return new ort.Tensor('float32', Float32Array.from(values), dims)
}

const noise = (i) => Math.sin(i * 12.9898) * 0.5

/** Feeds for one UNet step with classifier-free guidance (batch 2), from the graph's metadata. */
function unetFeeds(ort, session, latent, context) {
  const feeds = {}
  session.inputNames.forEach((name, i) => {
    const md = session.inputMetadata[i]
    const fixed = (axis, fallback) =>
      typeof md.shape[axis] === 'number' && md.shape[axis] > 0 ? md.shape[axis] : fallback
    if (name === 'sample')
      feeds[name] = tensor(ort, md.type, [2, fixed(1, 4), latent, latent], noise)
    else if (name === 'timestep')
      feeds[name] = tensor(ort, md.type, md.shape.length === 0 ? [] : [1], () => 500)
    else if (name === 'encoder_hidden_states')
      feeds[name] = tensor(ort, md.type, [2, 77, fixed(2, context)], noise)
    else if (name === 'text_embeds') feeds[name] = tensor(ort, md.type, [2, fixed(1, 1280)], noise)
    else if (name === 'time_ids') feeds[name] = tensor(ort, md.type, [2, 6], () => latent * 8)
    else if (name === 'timestep_cond') feeds[name] = tensor(ort, md.type, [2, fixed(1, 256)], noise)
    else throw new Error(`unexpected UNet input ${name}`)
  })
  return feeds
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x) => Math.round(x * 10) / 10

async function timeRuns(session, feeds, runs, deadline) {
  const first = performance.now()
  await session.run(feeds)
  const firstRunMs = performance.now() - first
  const times = []
  for (let i = 0; i < runs && Date.now() < deadline; i++) {
    const t = performance.now()
    await session.run(feeds)
    times.push(performance.now() - t)
  }
  return {
    firstRunMs: round(firstRunMs),
    runs: times.length,
    medianMs: times.length > 0 ? round(median(times)) : null,
    minMs: times.length > 0 ? round(Math.min(...times)) : null,
    maxMs: times.length > 0 ? round(Math.max(...times)) : null
  }
}

/** Loads the model's graphs on `provider` alone and times a UNet step (CFG batch 2). */
async function checkProvider(ort, provider, model, runs, deadline) {
  const options = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableMemPattern: provider !== 'dml',
    logSeverityLevel: 3
  }
  const sessions = []
  try {
    const t0 = performance.now()
    const unet = await ort.InferenceSession.create(
      path.join(model.dir, 'unet', 'model.onnx'),
      options
    )
    sessions.push(unet)
    const vae = await ort.InferenceSession.create(
      path.join(model.dir, 'vae_decoder', 'model.onnx'),
      options
    )
    sessions.push(vae)
    const loadMs = round(performance.now() - t0)
    const unetStep = await timeRuns(
      unet,
      unetFeeds(ort, unet, model.latent, model.context),
      runs,
      deadline
    )
    const vmd = vae.inputMetadata[0]
    const vaeFeeds = {
      [vae.inputNames[0]]: tensor(ort, vmd.type, [1, 4, model.latent, model.latent], noise)
    }
    const vaeDecode = await timeRuns(vae, vaeFeeds, 1, deadline)
    return { loaded: true, reason: null, loadMs, unetStep, vaeDecode }
  } catch (error) {
    const text = String(error?.message ?? error)
    const line = text.split('\n').find((l) => l.trim() !== '') ?? text
    const cut = line.indexOf(' was false. ')
    return { loaded: false, reason: (cut > 0 ? line.slice(cut + 12) : line).slice(0, 400) }
  } finally {
    for (const s of sessions) await s.release().catch(() => undefined)
  }
}

function defaultModel() {
  const flagged = flag('model', null)
  const candidates =
    flagged !== null
      ? [path.resolve(flagged)]
      : [
          path.join(root, 'resources/models/stepwise-shapes-64'),
          path.join(root, 'fixtures/models/tiny-sd-random')
        ]
  const dir = candidates.find((d) => existsSync(path.join(d, 'unet', 'model.onnx')))
  if (dir === undefined) return null
  const unet = readJson(path.join(dir, 'unet', 'config.json')) ?? {}
  const sample = Array.isArray(unet.sample_size) ? unet.sample_size[0] : (unet.sample_size ?? 64)
  // --latent N times another size (64: 512×512 pixels), where step costs are not launch-bound.
  const latent = Number(flag('latent', String(sample)))
  return { dir, latent, context: unet.cross_attention_dim ?? 768 }
}

function table(result) {
  const rows = [
    ['provider', 'loads', 'UNet step (CFG, batch 2)', 'first run', 'VAE decode', 'why not']
  ]
  for (const p of result.providers) {
    rows.push([
      p.name,
      p.loaded ? 'yes' : 'no',
      p.loaded ? `${p.unetStep.medianMs} ms median of ${p.unetStep.runs}` : '',
      p.loaded ? `${p.unetStep.firstRunMs} ms` : '',
      p.loaded ? `${p.vaeDecode.firstRunMs} ms` : '',
      p.reason ?? ''
    ])
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}

async function main() {
  if (args.includes('--prepare')) return prepare()
  const budgetS = Number(flag('budget-s', '240'))
  const deadline = startedAt + budgetS * 1000
  const runs = Number(flag('runs', '10'))
  const result = {
    tool: 'stepwise gpu-check',
    startedAt: new Date(startedAt).toISOString(),
    host: hostReport()
  }
  const loaded = loadOrt()
  const model = defaultModel()
  if (loaded === null) {
    result.error =
      'onnxruntime-node not found: run npm ci, or `node bench/gpu-check.mjs --prepare` and carry bench/.gpu-check-runtime.tar.gz'
  } else if (model === null) {
    result.error =
      'no model: neither resources/models/stepwise-shapes-64 nor fixtures/models/tiny-sd-random has unet/model.onnx'
  } else {
    const { ort, dir } = loaded
    ort.env.logLevel = 'fatal'
    const bindingDir = path.join(dir, 'bin', 'napi-v6', process.platform, process.arch)
    const backends = ort.listSupportedBackends()
    result.onnxruntime = {
      version: ort.env.versions.node ?? ort.env.versions.common,
      bindingDir,
      backends
    }
    result.model = {
      path: path.relative(root, model.dir),
      latentSize: model.latent,
      imageSize: model.latent * 8
    }
    result.providers = []
    for (const name of ['cpu', 'cuda', 'webgpu', 'dml', 'coreml']) {
      const backend = backends.find((b) => b.name === name)
      const entry = { name, compiled: backend !== undefined, installed: backend?.bundled === true }
      if (backend !== undefined && !backend.bundled) {
        const files = CUDA_FILES[process.platform] ?? []
        entry.installed =
          files.length > 0 && files.every((f) => existsSync(path.join(bindingDir, f)))
      }
      if (!entry.compiled) {
        if (name === 'dml' || name === 'coreml') continue // other platforms' providers: not listed
        Object.assign(entry, {
          loaded: false,
          reason: `not in onnxruntime-node's ${process.platform}/${process.arch} build`
        })
      } else if (!entry.installed) {
        Object.assign(entry, {
          loaded: false,
          reason:
            'CUDA provider libraries not installed (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js needs internet; then prepare and carry bench/.gpu-check-runtime.tar.gz again)'
        })
      } else if (Date.now() > deadline) {
        Object.assign(entry, { loaded: false, reason: 'skipped: time budget used up' })
      } else {
        console.error(`checking ${name}…`)
        Object.assign(entry, await checkProvider(ort, name, model, runs, deadline))
      }
      result.providers.push(entry)
    }
  }
  result.elapsedMs = Date.now() - startedAt
  const json = JSON.stringify(result, null, 2)
  const out = flag('out', null)
  if (out !== null) {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true })
    writeFileSync(out, `${json}\n`)
  } else {
    process.stdout.write(`${json}\n`)
  }
  const gpu = result.host.gpu ?? 'no NVIDIA GPU found (nvidia-smi)'
  console.error(`\nGPU: ${gpu}; model: ${result.model?.path ?? '-'}`)
  if (result.error !== undefined) console.error(`error: ${result.error}`)
  else console.error(table(result))
  process.exitCode = result.error === undefined ? 0 : 1
}

// A hard stop well inside the 5-minute slot, whatever a provider does.
setTimeout(
  () => {
    console.error('gpu-check: time limit reached; exiting')
    process.exit(3)
  },
  (Number(flag('budget-s', '240')) + 40) * 1000
).unref()

await main()
