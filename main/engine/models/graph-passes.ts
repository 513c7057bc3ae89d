import { readFile } from 'node:fs/promises'
import { env as ortEnv } from 'onnxruntime-node'
import {
  describeMisses,
  fuseAttentionIn,
  isFloat16Graph,
  type AttentionFusion
} from './attention-fusion'
import type { ExecutionProviderName } from './execution-providers'
import { upcastFloat16Model } from './float32-upcast'
import { checkFeeds, relativeDifference } from './graph-pass-check'
import { graphFingerprint, type GraphPassCache, type GraphPassVerdict } from './graph-pass-cache'
import { componentModelPath, type ModelFolder, type OnnxComponent } from './model-folder'
import { readOnnxHeader } from './onnx-header'
import { decodeOnnxModel } from './onnx-graph'
import type { OnnxModel } from './onnx-model'

/**
 * Graph passes at load: one ordered list of rewrites of a graph's protobuf, made in memory before
 * its session is created. Each has a precondition (which graphs, which provider), may ask for an
 * exactness check (a tiny test run of the graph before and after it, compared, the first time a
 * graph is seen; verdicts cached by fingerprint), and falls back to the graph as it was when it
 * does not apply, fails, or fails its check — saying why, once, in its report.
 *
 * 1. `float32-upcast`: a float16 VAE decoder or encoder whose config sets `force_upcast` becomes
 *    float32 (see float32-upcast.ts; diffusers decodes and encodes such a VAE in float32). Any provider; no check (it is meant to change the numbers).
 * 2. `attention-fusion`: scaled-dot-product attention becomes `com.microsoft`
 *    MultiHeadAttention (see attention-fusion.ts), for UNets and VAE decoders that compute in
 *    float32 on the CPU provider, whose MultiHeadAttention has a memory-efficient kernel; other
 *    providers may lack the operator or run attention their own way. Checked: outputs within
 *    {@link ATTENTION_TOLERANCE} relative of the graph before the pass.
 *
 * The rewritten graph is handed to onnxruntime as bytes with the model's folder as the
 * external-initializer folder, so weights kept in `model.onnx_data` / `weights.pb` are read from
 * their files as usual and never copied into the rewritten bytes.
 */

/** The passes, in the order they run. */
export const GRAPH_PASS_NAMES = ['float32-upcast', 'attention-fusion'] as const
export type GraphPassName = (typeof GRAPH_PASS_NAMES)[number]

/** Largest accepted max |fused − exported| / max |exported| of the attention check's run. */
export const ATTENTION_TOLERANCE = 1e-5

/** Bumped whenever the attention rewrite changes, so cached verdicts are not reused. */
const ATTENTION_PASS_VERSION = 1

/** The outcome of an exactness check, as reported. */
export interface GraphPassCheck {
  passed: boolean
  maxRelativeDifference: number | null
  /** `run`: checked during this load; `cache`: a verdict from an earlier load. */
  source: 'run' | 'cache'
}

/** What one pass did to one graph: part of the loaded model's reported state. */
export interface GraphPassReport {
  pass: GraphPassName
  component: OnnxComponent
  applied: boolean
  /** One line for people: "attention fused (16 of 16)", "attention not fused: …". */
  summary: string
  /** Attention candidates found and fused (attention fusion only). */
  found?: number
  fused?: number
  check?: GraphPassCheck
}

/** What the passes need to know about the graph being loaded. */
export interface GraphPassContext {
  component: OnnxComponent
  /** The graph file as exported. */
  file: string
  folder: ModelFolder
  /** The provider the session is created for; CPU-only passes run only for `cpu`. */
  provider: ExecutionProviderName
  /** False turns attention fusion off (the graph runs as exported). */
  fuseAttention: boolean
  cache: GraphPassCache
  /** Creates a session on the context's provider from a file path or rewritten bytes. */
  createModel: (bytes: Uint8Array | null) => Promise<OnnxModel>
}

/** The session made from the passes' result, and the reports. */
export interface GraphPassResult {
  model: OnnxModel
  reports: GraphPassReport[]
}

const ATTENTION_COMPONENTS: readonly OnnxComponent[] = ['unet', 'vae_decoder']

function attentionReport(
  component: OnnxComponent,
  applied: boolean,
  summary: string,
  extra: Partial<GraphPassReport> = {}
): GraphPassReport {
  return { pass: 'attention-fusion', component, applied, summary, ...extra }
}

async function upcastPass(
  ctx: GraphPassContext,
  bytes: Uint8Array | null
): Promise<{ bytes: Uint8Array | null; report: GraphPassReport | null }> {
  const isVae = ctx.component === 'vae_decoder' || ctx.component === 'vae_encoder'
  if (!isVae || !ctx.folder.vaeConfig.forceUpcast) {
    return { bytes, report: null }
  }
  const header = await readOnnxHeader(ctx.file)
  if (!header.inputs.some((io) => io.type === 'float16')) return { bytes, report: null }
  try {
    return {
      bytes: upcastFloat16Model(ctx.file),
      report: {
        pass: 'float32-upcast',
        component: ctx.component,
        applied: true,
        summary: `${ctx.component === 'vae_encoder' ? 'encoded' : 'decoded'} in float32 (force_upcast)`
      }
    }
  } catch (error) {
    return {
      bytes,
      report: {
        pass: 'float32-upcast',
        component: ctx.component,
        applied: false,
        summary: `not upcast to float32 (${(error as Error).message}); it runs in float16 and images may come out black`
      }
    }
  }
}

/** Runs both graphs on the check's feeds; the candidate's session is kept when it passes. */
async function runCheck(
  ctx: GraphPassContext,
  before: Uint8Array | null,
  after: Uint8Array
): Promise<{ verdict: GraphPassVerdict; model: OnnxModel | null; transient?: boolean }> {
  const checkedAt = new Date().toISOString()
  const failed = (
    reason: string,
    diff: number | null = null
  ): { verdict: GraphPassVerdict; model: null } => ({
    verdict: { passed: false, maxRelativeDifference: diff, reason, checkedAt },
    model: null
  })
  // One session at a time: a full-size UNet's weights are gigabytes.
  const reference = await ctx.createModel(before)
  let expected
  let feeds
  try {
    const made = checkFeeds(ctx.component, [...reference.inputs.values()], ctx.folder)
    if (typeof made === 'string') return failed(made)
    feeds = made
    expected = (await reference.run(feeds)).outputs
  } finally {
    await reference.release()
  }
  let candidate: OnnxModel
  try {
    candidate = await ctx.createModel(after)
  } catch (error) {
    // Not remembered: it may be passing (memory), and the next load tries again.
    return {
      ...failed(`the fused graph could not be loaded (${(error as Error).message})`),
      transient: true
    }
  }
  try {
    const got = (await candidate.run(feeds)).outputs
    const diff = relativeDifference(expected, got)
    if (!(diff <= ATTENTION_TOLERANCE)) {
      await candidate.release()
      return failed(
        `fused and exported outputs differ by ${Number.isFinite(diff) ? diff.toExponential(1) : 'a non-finite amount'} on the test run (limit ${ATTENTION_TOLERANCE.toExponential(0)})`,
        Number.isFinite(diff) ? diff : null
      )
    }
    return {
      verdict: { passed: true, maxRelativeDifference: diff, reason: null, checkedAt },
      model: candidate
    }
  } catch (error) {
    await candidate.release()
    return failed(`the fused graph failed its test run (${(error as Error).message})`)
  }
}

/**
 * Runs the passes for one graph and creates its session (see the file comment). Never fails
 * because of a pass: only creating the final session can throw, as it would without passes.
 */
export async function createModelWithGraphPasses(ctx: GraphPassContext): Promise<GraphPassResult> {
  const reports: GraphPassReport[] = []
  const upcast = await upcastPass(ctx, null)
  if (upcast.report !== null) reports.push(upcast.report)
  const bytes = upcast.bytes

  const plan = await planAttention(ctx, bytes)
  if (plan === null) return { model: await ctx.createModel(bytes), reports }
  if (plan.kind === 'skip') {
    reports.push(plan.report)
    return { model: await ctx.createModel(bytes), reports }
  }
  const { fusion, fingerprint, counts } = plan
  const cached = await ctx.cache.get(fingerprint)
  let verdict: GraphPassVerdict
  let model: OnnxModel | null = null
  if (cached !== null) verdict = cached
  else {
    const checked = await runCheck(ctx, bytes, fusion.bytes)
    verdict = checked.verdict
    model = checked.model
    if (checked.transient !== true) await ctx.cache.set(fingerprint, verdict)
  }
  const check: GraphPassCheck = {
    passed: verdict.passed,
    maxRelativeDifference: verdict.maxRelativeDifference,
    source: cached === null ? 'run' : 'cache'
  }
  if (!verdict.passed) {
    reports.push(
      attentionReport(
        ctx.component,
        false,
        `attention not fused: ${verdict.reason ?? 'its check failed'}; the graph runs as exported`,
        { ...counts, check }
      )
    )
    return { model: await ctx.createModel(bytes), reports }
  }
  reports.push(attentionReport(ctx.component, true, fusedSummary(fusion), { ...counts, check }))
  return { model: model ?? (await ctx.createModel(fusion.bytes)), reports }
}

function fusedSummary(fusion: AttentionFusion): string {
  const partial = fusion.misses.length > 0 ? `; ${describeMisses(fusion.misses)}` : ''
  return `attention fused (${fusion.fused} of ${fusion.found}${partial})`
}

type AttentionPlan =
  | { kind: 'skip'; report: GraphPassReport }
  | {
      kind: 'fuse'
      fusion: AttentionFusion & { bytes: Uint8Array }
      fingerprint: string
      counts: { found: number; fused: number }
    }

/**
 * Everything before the check: whether the attention pass applies to this graph, and if so its
 * rewrite and the fingerprint its verdict is cached under. Null for graphs it never touches.
 */
async function planAttention(
  ctx: Pick<GraphPassContext, 'component' | 'file' | 'folder' | 'provider' | 'fuseAttention'>,
  bytes: Uint8Array | null
): Promise<AttentionPlan | null> {
  if (!ATTENTION_COMPONENTS.includes(ctx.component)) return null
  const skip = (summary: string, extra: Partial<GraphPassReport> = {}): AttentionPlan => ({
    kind: 'skip',
    report: attentionReport(ctx.component, false, `attention not fused: ${summary}`, extra)
  })
  if (!ctx.fuseAttention) return skip('turned off')
  if (ctx.provider !== 'cpu') {
    return skip(`it runs on ${ctx.provider} (the fusion is for the CPU provider)`)
  }
  const float16 = 'the graph computes in float16 (the fusion is for float32 graphs on the CPU)'
  // A float16 graph is known from its header, before its (maybe gigabytes of inline) bytes are read.
  if (bytes === null && (await readOnnxHeader(ctx.file)).inputs.some((i) => i.type === 'float16')) {
    return skip(float16)
  }
  const source = bytes ?? new Uint8Array(await readFile(ctx.file))
  let decoded
  try {
    decoded = decodeOnnxModel(source)
  } catch (error) {
    return skip(`the graph could not be read (${(error as Error).message})`)
  }
  if (isFloat16Graph(decoded)) return skip(float16)
  const fusion = fuseAttentionIn(decoded, ctx.component === 'unet' ? numHeadsHint(ctx.folder) : {})
  const counts = { found: fusion.found, fused: fusion.fused }
  if (fusion.bytes === null) {
    const why =
      fusion.found === 0 ? 'no attention found' : describeMisses(fusion.misses) || 'nothing matched'
    return skip(why, counts)
  }
  const salt = `attention-fusion/${ATTENTION_PASS_VERSION}/onnxruntime-${ortEnv.versions.common}`
  const fingerprint = await graphFingerprint(
    ctx.file,
    source,
    `${salt}/${bytes === null ? 'file' : 'upcast'}`
  )
  return {
    kind: 'fuse',
    fusion: fusion as AttentionFusion & { bytes: Uint8Array },
    fingerprint,
    counts
  }
}

/** What the passes would do to one graph, read from its files alone (no session, no check). */
export interface GraphPassPreview {
  component: OnnxComponent
  pass: GraphPassName
  /** True when the pass will be used at load (for attention: once its check has passed). */
  willApply: boolean
  /** e.g. "attention fused (32 of 32)", "attention fusable (32 of 32), checked at first load". */
  summary: string
  found?: number
  fused?: number
  /** The cached check verdict, when `graphPassCacheDir` holds one. */
  check?: GraphPassCheck
}

/**
 * Previews the attention pass on a model folder's UNet for `provider` (default CPU) without
 * creating a session: what `models info` and the model picker show before a model is loaded.
 * With the host's `cache`, a verdict from an earlier load is included.
 */
export async function previewGraphPasses(
  folder: ModelFolder,
  options: {
    provider?: ExecutionProviderName
    fuseAttention?: boolean
    cache?: GraphPassCache
  } = {}
): Promise<GraphPassPreview[]> {
  const component: OnnxComponent = 'unet'
  const file = componentModelPath(folder.dir, component)
  const plan = await planAttention(
    {
      component,
      file,
      folder,
      provider: options.provider ?? 'cpu',
      fuseAttention: options.fuseAttention !== false
    },
    null
  )
  if (plan === null) return []
  if (plan.kind === 'skip') {
    const r = plan.report
    return [
      {
        component,
        pass: r.pass,
        willApply: false,
        summary: r.summary,
        found: r.found,
        fused: r.fused
      }
    ]
  }
  const verdict = options.cache === undefined ? null : await options.cache.get(plan.fingerprint)
  const base = { component, pass: 'attention-fusion' as const, ...plan.counts }
  if (verdict === null) {
    return [
      {
        ...base,
        willApply: true,
        summary: `${fusedSummary(plan.fusion).replace('attention fused', 'attention fusable')}, checked at first load`
      }
    ]
  }
  const check: GraphPassCheck = {
    passed: verdict.passed,
    maxRelativeDifference: verdict.maxRelativeDifference,
    source: 'cache'
  }
  return [
    {
      ...base,
      willApply: verdict.passed,
      check,
      summary: verdict.passed
        ? fusedSummary(plan.fusion)
        : `attention not fused: ${verdict.reason ?? 'its check failed'}; the graph runs as exported`
    }
  ]
}

/**
 * Heads to assume when a graph's reshapes do not say: diffusers' SD 1.x UNet config gives one
 * `attention_head_dim` that is really the number of heads (a historical misnomer diffusers keeps).
 */
function numHeadsHint(folder: ModelFolder): { numHeadsHint?: number } {
  const raw = folder.unetConfig.raw as Record<string, unknown>
  const heads = raw.num_attention_heads ?? raw.attention_head_dim
  return typeof heads === 'number' ? { numHeadsHint: heads } : {}
}
