// Loaded into the browser-mode server by the benchmark (`node --import …/event-loop-probe.mjs
// out/main/server.js`, with STEPWISE_BENCH_PROBE_DIR set), never by the app. It measures the
// server's own event-loop delay with perf_hooks.monitorEventLoopDelay and its resident memory,
// from inside that process, without any change to the server's code.
//
// On SIGUSR2 it writes PROBE_DIR/probe-<pid>.json (atomically) with what it saw since the
// previous SIGUSR2, then starts a new window; the benchmark sends one signal before a generation
// and one after it. The inference process it forks inherits the --import flag (and the
// environment): there the probe only answers memory readings. On SIGUSR2 it collects garbage
// until the resident set stops falling, then writes the same file with its RSS before and after,
// so that a reading of the inference process does not depend on when V8 last collected.
import { renameSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const dir = process.env.STEPWISE_BENCH_PROBE_DIR
const RESOLUTION_MS = 10

const script = basename(process.argv[1] ?? '')

/** Writes PROBE_DIR/probe-<pid>.json atomically. */
function writeReport(report) {
  const file = join(dir, `probe-${process.pid}.json`)
  writeFileSync(`${file}.tmp`, JSON.stringify(report))
  renameSync(`${file}.tmp`, file)
}

if (dir !== undefined && dir !== '' && script === 'inference.js') {
  // The flag takes effect for contexts created after it: a new context hands out `gc`.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  let seq = 0
  process.on('SIGUSR2', () => {
    seq++
    const asked = seq
    const rssBeforeGcBytes = process.memoryUsage().rss
    void (async () => {
      // An ArrayBuffer's memory returns to the OS some time after the collection that frees
      // it, sometimes only after a later one: collect at least three times, 50 ms apart, and
      // stop once two rounds in a row lowered RSS by less than 1 MiB (at most ten rounds).
      let previous = rssBeforeGcBytes
      let rounds = 0
      let quiet = 0
      while (rounds < 10 && (rounds < 3 || quiet < 2)) {
        gc()
        rounds++
        await sleep(50)
        const now = process.memoryUsage().rss
        quiet = previous - now < 2 ** 20 ? quiet + 1 : 0
        previous = now
      }
      writeReport({
        seq: asked,
        pid: process.pid,
        rssBytes: process.memoryUsage().rss,
        rssBeforeGcBytes,
        gcRounds: rounds,
        resolutionMs: 0,
        samples: 0,
        intervalP50Ms: null,
        intervalP99Ms: null,
        intervalMaxMs: null
      })
    })()
  })
}

if (dir !== undefined && dir !== '' && script === 'server.js') {
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
    writeReport(report)
  })
}
