/** Where the Electron binary is, or why there is none. */
export function findElectronBinary(): { path: string } | { missing: string }
