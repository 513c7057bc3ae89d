import type { z } from 'zod'
import { pathText } from './labels'

/**
 * Formats a schema failure as one sentence per problem: where, what was wrong, what is allowed.
 * Used for every payload a renderer or CLI user sends, so messages read the same everywhere.
 * `label` names a field path the way the person sees it ("Steps", "Repository"); without it the
 * path itself is used.
 */
export function describeZodError(
  context: string,
  error: z.ZodError,
  label: (path: readonly PropertyKey[]) => string = (path) => pathText(path)
): string {
  const problems = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? label(issue.path) : '(arguments)'
    return `${path}: ${issue.message}`
  })
  return `${context}: ${problems.join('; ')}`
}
