/**
 * A Hugging Face Hub page URL as people copy it from the browser's address bar, read as the
 * repository (and revision) it names: `https://huggingface.co/owner/name`,
 * `…/owner/name/tree/fp16`, `…/blob/main/model_index.json`, `hf.co/owner/name`.
 */

/** Hosts whose paths are Hub repositories. */
const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co'])

/** Path segments after `owner/name` that are followed by a revision. */
const REVISION_MARKERS = new Set(['tree', 'blob', 'resolve', 'commit'])

/** The repository and revision a Hub URL names, or null when `text` is not a Hub model URL. */
export function parseHubUrl(text: string): { repo: string; revision?: string } | null {
  const trimmed = text.trim()
  if (!/^(https?:\/\/)?(www\.)?(huggingface\.co|hf\.co)\//i.test(trimmed)) return null
  let url: URL
  try {
    url = new URL(/^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`)
  } catch {
    return null
  }
  if (!HUB_HOSTS.has(url.hostname.toLowerCase())) return null
  const parts = url.pathname
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p))
  // Datasets and Spaces are not models.
  if (parts[0] === 'datasets' || parts[0] === 'spaces') return null
  const [owner, name, marker, ...rest] = parts
  if (owner === undefined || name === undefined) return null
  const repo = `${owner}/${name.replace(/\.git$/, '')}`
  if (marker !== undefined && REVISION_MARKERS.has(marker) && rest[0] !== undefined) {
    // `refs/pr/N` spans three segments; any other revision is one.
    const revision = rest[0] === 'refs' && rest.length >= 3 ? rest.slice(0, 3).join('/') : rest[0]
    return { repo, revision }
  }
  return { repo }
}
