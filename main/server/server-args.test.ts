import { describe, expect, it } from 'vitest'
import { DEFAULT_PORT, parseServerArgs } from './server-args'

describe('parseServerArgs', () => {
  it('defaults to the fixed port, opening a browser, the app data folder and shipped models', () => {
    expect(parseServerArgs([])).toEqual({
      port: DEFAULT_PORT,
      open: true,
      help: false,
      dataDir: null,
      modelsDirs: []
    })
  })

  it('accepts --port N, --port=N and --no-open', () => {
    expect(parseServerArgs(['--port', '0', '--no-open'])).toMatchObject({ port: 0, open: false })
    expect(parseServerArgs(['--port=8123']).port).toBe(8123)
  })

  it('accepts --data-dir and repeated --models-dir', () => {
    expect(
      parseServerArgs(['--data-dir', '/d', '--models-dir', '/m1', '--models-dir=/m2'])
    ).toMatchObject({ dataDir: '/d', modelsDirs: ['/m1', '/m2'] })
  })

  it.each([['--port'], ['--port', 'abc'], ['--port', '70000'], ['--port', '1.5'], ['--port=']])(
    'rejects %j with what is allowed',
    (...argv) => {
      expect(() => parseServerArgs(argv)).toThrow(/--port must be an integer from 0 to 65535/)
    }
  )

  it('rejects folder flags without a folder', () => {
    expect(() => parseServerArgs(['--data-dir'])).toThrow(/--data-dir needs a folder/)
    expect(() => parseServerArgs(['--models-dir='])).toThrow(/--models-dir needs a folder/)
  })

  it('rejects unknown arguments by name', () => {
    expect(() => parseServerArgs(['--bind', '0.0.0.0'])).toThrow(
      /unknown argument "--bind" \(allowed: --port N, --no-open, --data-dir DIR, --models-dir DIR, --help\)/
    )
  })
})
