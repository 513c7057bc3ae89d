import path from 'node:path'
import { HubError } from './hub-error'

/**
 * Where a repository file goes inside the destination folder. The path comes from a server, so
 * anything that could land outside the folder — `..`, an absolute path, a backslash or a drive
 * letter that Windows would honour — is refused rather than normalised away.
 */
export function localPath(dest: string, repoPath: string): string {
  const segments = repoPath.split('/')
  const unsafe =
    repoPath.length === 0 ||
    repoPath.includes('\\') ||
    repoPath.includes(':') ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f]/.test(repoPath) ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  const target = path.resolve(dest, ...segments)
  const root = path.resolve(dest)
  if (unsafe || !target.startsWith(root + path.sep)) {
    throw new HubError(
      'invalid-listing',
      `the repository lists a file path that is not safe to write: ${JSON.stringify(repoPath)}`
    )
  }
  return target
}
