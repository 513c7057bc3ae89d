/**
 * A byte count as people read sizes and speeds, in decimal units as disks and the Hugging Face
 * Hub state them: "950 B", "4.8 MB", "35 MB", "1.7 GB". One decimal below 10, none above. The
 * CLI, the downloads and the app all say sizes this way. (Memory limits are stated in GiB by the
 * engine's memory check, as memory is sized.)
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  if (unit === 0) return `${Math.round(value)} B`
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
