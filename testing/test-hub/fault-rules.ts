/**
 * Failures the test hub can inject, one rule at a time, each for a number of matching requests.
 *
 * - `status`: answer with this HTTP status (e.g. 500 transient errors, 404, 401, 429) instead.
 * - `cut`: send the headers and the first `afterBytes` bytes of the body, then destroy the socket
 *   (a dropped connection mid-file).
 * - `stall`: send `afterBytes` bytes, then keep the connection open and silent (a hung transfer,
 *   to cancel or kill the client mid-file).
 * - `ignore-range`: answer a Range request with 200 and the whole file (servers that do not do
 *   ranges).
 * - `wrong-range`: answer a Range request with 206 but bytes from offset 0 and a matching
 *   Content-Range (a broken proxy).
 * - `corrupt`: flip one byte of the file in what is sent (the listing keeps the true hash, so
 *   the client sees a wrong hash).
 */
export type Fault =
  | { kind: 'status'; status: number; times?: number; match?: FaultMatch }
  | { kind: 'cut'; afterBytes: number; times?: number; match?: FaultMatch }
  | { kind: 'stall'; afterBytes: number; times?: number; match?: FaultMatch }
  | { kind: 'ignore-range'; times?: number; match?: FaultMatch }
  | { kind: 'wrong-range'; times?: number; match?: FaultMatch }
  | { kind: 'corrupt'; times?: number; match?: FaultMatch }

/** Which requests a rule applies to; every given field must match. */
export interface FaultMatch {
  /** `info` (model info), `tree` (listing), `resolve` (hub file route), `cdn` (LFS content). */
  route?: Route
  repo?: string
  /** The repository file path, e.g. `unet/model.onnx_data` (for `resolve` and `cdn`). */
  path?: string
}

/** The routes of the test hub and its CDN. */
export type Route = 'info' | 'tree' | 'resolve' | 'cdn'

/** What a request is, for matching. */
export interface RequestFacts {
  route: Route
  repo: string
  path?: string
}

interface ArmedFault {
  fault: Fault
  left: number
}

/** The armed rules, consumed in the order they were added. */
export class FaultRules {
  private readonly armed: ArmedFault[] = []

  /** Arms a rule; `times` defaults to 1 (use `Infinity` for always). */
  add(fault: Fault): void {
    this.armed.push({ fault, left: fault.times ?? 1 })
  }

  /** Disarms every rule. */
  clear(): void {
    this.armed.length = 0
  }

  /**
   * The first rule matching `facts` among those of the given kinds, counted as used. Body faults
   * (cut, corrupt…) only make sense where content is served, so callers ask for the kinds that
   * apply.
   */
  take(facts: RequestFacts, kinds: readonly Fault['kind'][]): Fault | null {
    for (const entry of this.armed) {
      if (entry.left <= 0 || !kinds.includes(entry.fault.kind)) continue
      if (!matches(entry.fault.match, facts)) continue
      entry.left--
      return entry.fault
    }
    return null
  }
}

function matches(match: FaultMatch | undefined, facts: RequestFacts): boolean {
  if (match === undefined) return true
  if (match.route !== undefined && match.route !== facts.route) return false
  if (match.repo !== undefined && match.repo !== facts.repo) return false
  if (match.path !== undefined && match.path !== facts.path) return false
  return true
}
