import { describe, expect, it } from 'vitest'
import { DEFAULT_PORT, parseServerArgs } from './server-args'

describe('parseServerArgs', () => {
  it('defaults to the fixed port and opening a browser', () => {
    expect(parseServerArgs([])).toEqual({ port: DEFAULT_PORT, open: true, help: false })
  })

  it('accepts --port N, --port=N and --no-open', () => {
    expect(parseServerArgs(['--port', '0', '--no-open'])).toEqual({
      port: 0,
      open: false,
      help: false
    })
    expect(parseServerArgs(['--port=8123']).port).toBe(8123)
  })

  it.each([['--port'], ['--port', 'abc'], ['--port', '70000'], ['--port', '1.5'], ['--port=']])(
    'rejects %j with what is allowed',
    (...argv) => {
      expect(() => parseServerArgs(argv)).toThrow(/--port must be an integer from 0 to 65535/)
    }
  )

  it('rejects unknown arguments by name', () => {
    expect(() => parseServerArgs(['--bind', '0.0.0.0'])).toThrow(/unknown argument "--bind"/)
  })
})
