import { describe, expect, it } from 'vitest'
import {
  arange,
  interpOnIndexGrid,
  linspace,
  roundHalfEven,
  torchLinspaceF32
} from './numpy-compat'

describe('NumPy / torch array helpers', () => {
  it('rounds halves to even like np.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 937.5, 812.5, 2.4, 2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, 938, 812, 2, 3
    ])
  })

  it('linspace pins the end point and handles one value and endpoint=false', () => {
    expect(linspace(0, 999, 4)).toEqual([0, 333, 666, 999])
    expect(linspace(0, 999, 1)).toEqual([0])
    expect(linspace(0, 50, 4, false)).toEqual([0, 12.5, 25, 37.5])
  })

  it('arange has numpy length and fill rules for fractional steps', () => {
    expect(arange(1000, 0, -1000 / 3).length).toBe(3)
    expect(arange(1000, 0, -62.5).slice(0, 3)).toEqual([1000, 937.5, 875])
    expect(arange(5, 5, 1)).toEqual([])
  })

  it('interpolates on the index grid and clamps at the ends', () => {
    const fp = [0, 10, 20]
    expect(interpOnIndexGrid(0.25, fp)).toBe(2.5)
    expect(interpOnIndexGrid(-1, fp)).toBe(0)
    expect(interpOnIndexGrid(7, fp)).toBe(20)
    expect(interpOnIndexGrid(1, fp)).toBe(10)
  })

  it('reproduces torch.linspace(0.0001, 0.02, 1000, dtype=float32) exactly', () => {
    // Values printed by torch 2.13 (CPU) at these indices.
    const t = torchLinspaceF32(0.0001, 0.02, 1000)
    const expected: Record<number, number> = {
      0: 9.999999747378752e-5,
      7: 0.00023943943961057812,
      8: 0.00025935936719179153,
      499: 0.010040040127933025,
      500: 0.010059959255158901,
      503: 0.010119719430804253,
      991: 0.01984064094722271,
      992: 0.019860560074448586,
      999: 0.019999999552965164
    }
    for (const [i, v] of Object.entries(expected)) expect(t[Number(i)]).toBe(v)
  })
})
