// Child process for the read-only test: opens a history and stores one result, then prints the
// outcome as JSON. Runs as an unprivileged user when the tests run as root (root ignores modes).
import { HistoryStore } from '../../main/history/history-store'
import { sampleResult } from './sample-result'

const [dir] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: save-once.ts <history dir>')
async function main(historyDir: string): Promise<void> {
  const store = await HistoryStore.open(historyDir, '0.0.0-test')
  try {
    await store.add(sampleResult())
    process.stdout.write(JSON.stringify({ ok: true }))
  } catch (error) {
    const e = error as { code?: string; message: string }
    process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message }))
  }
}
void main(dir)
