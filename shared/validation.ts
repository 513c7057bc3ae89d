import type { z } from 'zod'

/**
 * Formats a schema failure as one sentence per problem: where, what was wrong, what is allowed.
 * Used for every payload a renderer or CLI user sends, so messages read the same everywhere.
 */
export function describeZodError(context: string, error: z.ZodError): string {
  const problems = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(arguments)'
    return `${path}: ${issue.message}`
  })
  return `${context}: ${problems.join('; ')}`
}
