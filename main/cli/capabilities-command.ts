import { readCapabilities } from '../api/capabilities'
import { probeWebGpuAdapter, providerAvailability } from '../engine'
import type { CliIo } from './cli-io'
import { parseFlags } from './parse-flags'

/**
 * `capabilities [--json]`: the app and onnxruntime versions and the execution providers. WebGPU
 * is checked for an adapter here, in the CLI's own process (it runs inference in-process too).
 */
export async function capabilitiesCommand(
  argv: readonly string[],
  version: string,
  io: CliIo
): Promise<number> {
  const flags = parseFlags(argv, [{ name: 'json', kind: 'boolean' }], 'capabilities')
  const webgpuBuilt = providerAvailability().some((a) => a.name === 'webgpu' && a.available)
  const caps = readCapabilities(version, 'browser', webgpuBuilt ? await probeWebGpuAdapter() : null)
  if (flags.has('json')) {
    io.out(JSON.stringify({ ...caps, mode: 'cli' }))
    return 0
  }
  io.out(`Stepwise ${caps.appVersion}, onnxruntime ${caps.onnxruntimeVersion}`)
  for (const ep of caps.executionProviders) {
    const state = ep.available ? 'available' : 'not available'
    io.out(`  ${ep.name.padEnd(8)} ${state}${ep.reason === undefined ? '' : `: ${ep.reason}`}`)
  }
  io.out(`  auto = ${caps.autoProviders.join(', then ')}`)
  return 0
}
