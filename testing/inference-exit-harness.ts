import '../main/inference/entry'
import { openParentChannel } from '../main/inference/host/parent-channel'

/**
 * Test harness around the real inference process (main/inference/entry.ts runs unchanged): a `stop` for a
 * job whose id is `exit:<code>` makes the process call `process.exit(code)`, and
 * `throw:<text>` throws an uncaught error, so the client's crash handling is tested against
 * real process deaths.
 */
openParentChannel().onCommand((command) => {
  if (command.type !== 'stop') return
  if (command.jobId.startsWith('exit:')) process.exit(Number(command.jobId.slice(5)))
  if (command.jobId.startsWith('throw:')) {
    setImmediate(() => {
      throw new Error(command.jobId.slice(6))
    })
  }
})
