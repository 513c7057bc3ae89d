import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { ModelFolder } from '../models/model-folder'
import type { ModelIdentity } from './run-snapshot'

/** The configs whose contents decide what a model computes, relative to the model folder. */
function configFiles(folder: ModelFolder): string[] {
  return [
    'model_index.json',
    path.join('scheduler', 'scheduler_config.json'),
    ...folder.components.map((c) => path.join(c, 'config.json'))
  ]
}

async function listSizes(dir: string, rel: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[])
  const lines: string[] = []
  for (const name of names.sort()) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => null)
    if (stat?.isFile() === true) lines.push(`${rel}/${name} ${stat.size}`)
  }
  return lines
}

/**
 * A model's identity for run snapshots: its folder name, family, pipeline class, and a
 * fingerprint over its graph files (names and sizes: the weights themselves are gigabytes), its
 * tokenizer files' sizes and its configs' contents. Two folders with the same fingerprint compute
 * the same run; a copy of a model folder elsewhere keeps its fingerprint.
 */
export async function modelIdentity(folder: ModelFolder): Promise<ModelIdentity> {
  const hash = createHash('sha256')
  for (const component of folder.components) {
    for (const line of await listSizes(path.join(folder.dir, component), component)) {
      hash.update(`${line}\n`)
    }
  }
  for (const tokenizer of folder.tokenizers) {
    for (const line of await listSizes(path.join(folder.dir, tokenizer), tokenizer)) {
      hash.update(`${line}\n`)
    }
  }
  for (const rel of configFiles(folder)) {
    const bytes = await fs.readFile(path.join(folder.dir, rel)).catch(() => null)
    hash.update(`${rel.split(path.sep).join('/')} `)
    hash.update(bytes === null ? 'absent' : createHash('sha256').update(bytes).digest('hex'))
    hash.update('\n')
  }
  return {
    name: path.basename(folder.dir),
    family: folder.family,
    pipelineClass: folder.index.pipelineClass,
    fingerprint: hash.digest('hex')
  }
}
