// Loaded into the browser-mode server by the benchmark (`node --import …/event-loop-probe.mjs
// out/main/server.js`, with STEPWISE_BENCH_PROBE_DIR set), never by the app. It measures the
// server's own event-loop delay with perf_hooks.monitorEventLoopDelay and its resident memory,
// from inside that process, without any change to the server's code.
//
// On SIGUSR2 it writes PROBE_DIR/probe-<pid>.json (atomically) with what it saw since the
// previous SIGUSR2, then starts a new window; the benchmark sends one signal before a generation
// and one after it. The inference process it forks inherits the --import flag, so the probe only
// arms itself in server.js.
import { renameSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const dir = process.env.STEPWISE_BENCH_PROBE_DIR
const RESOLUTION_MS = 10

if (dir !== undefined && dir !== '' && basename(process.argv[1] ?? '') === 'server.js') {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  histogram.enable()
  let seq = 0
  const ms = (ns) => ns / 1e6
  process.on('SIGUSR2', () => {
    seq++
    // The histogram records the time between ticks of a RESOLUTION_MS timer; an idle loop
    // shows about RESOLUTION_MS, so the lag is what exceeds it.
    const report = {
      seq,
      pid: process.pid,
      rssBytes: process.memoryUsage().rss,
      resolutionMs: RESOLUTION_MS,
      samples: histogram.count,
      intervalP50Ms: histogram.count > 0 ? ms(histogram.percentile(50)) : null,
      intervalP99Ms: histogram.count > 0 ? ms(histogram.percentile(99)) : null,
      intervalMaxMs: histogram.count > 0 ? ms(histogram.max) : null
    }
    histogram.reset()
    const file = join(dir, `probe-${process.pid}.json`)
    writeFileSync(`${file}.tmp`, JSON.stringify(report))
    renameSync(`${file}.tmp`, file)
  })
}
