// Child process for the crash test: rewrites a history index atomically in a loop until killed.
import { writeFileAtomic } from '../../main/engine'
import { serializeHistoryIndex } from '../../main/history/history-index'
import { sampleResult } from './sample-result'

const [path] = process.argv.slice(2)
if (path === undefined) throw new Error('usage: index-writer.ts <index.json>')
const { params, result } = sampleResult('x'.repeat(2000))
let round = 0
async function main(): Promise<never> {
  for (;;) {
    round++
    const entries = Array.from({ length: 200 + (round % 50) }, (_, i) => ({
      id: `e${round}-${i}`,
      createdAt: new Date().toISOString(),
      params,
      result,
      previewSteps: []
    }))
    await writeFileAtomic(path as string, serializeHistoryIndex(entries))
    if (round === 1) process.stdout.write('ready\n')
  }
}
void main()
