import { lanes, type ElementwiseKernel } from './wasm-assembler'

/**
 * The SIMD kernels of DPM-Solver++ (diffusers' `DPMSolverMultistepScheduler` with its default
 * `algorithm_type`), each the float32 operations of its scalar reference in the same order
 * (scalar-float32-kernels.ts): the data prediction from an epsilon output, and the first-order
 * and second-order (midpoint) updates.
 */
export const DPM_SOLVER_KERNELS: readonly ElementwiseKernel[] = [
  {
    // arrays: ε, s, x0; scalars: σ_t, α_t. x0 = (s − σ·ε) / α
    name: 'dpmDataPrediction',
    arrays: 3,
    scalars: ['f32', 'f32'],
    temps: 0,
    body: ({ load, scalar }) => [
      {
        store: 2,
        value: lanes('div', lanes('sub', load(1), lanes('mul', scalar(0), load(0))), scalar(1))
      }
    ]
  },
  {
    // arrays: s, x0, out; scalars: a, b. out = a·s − b·x0
    name: 'dpmFirstOrder',
    arrays: 3,
    scalars: ['f32', 'f32'],
    temps: 0,
    body: ({ load, scalar }) => [
      {
        store: 2,
        value: lanes('sub', lanes('mul', scalar(0), load(0)), lanes('mul', scalar(1), load(1)))
      }
    ]
  },
  {
    // arrays: s, m0, m1, out; scalars: a, b, c, 1/r0. out = (a·s − b·m0) − c·((m0 − m1)/r0)
    name: 'dpmSecondOrderMidpoint',
    arrays: 4,
    scalars: ['f32', 'f32', 'f32', 'f32'],
    temps: 1,
    body: ({ load, scalar, local }) => [
      { set: 0, value: load(1) },
      {
        store: 3,
        value: lanes(
          'sub',
          lanes('sub', lanes('mul', scalar(0), load(0)), lanes('mul', scalar(1), local(0))),
          lanes('mul', scalar(2), lanes('mul', scalar(3), lanes('sub', local(0), load(2))))
        )
      }
    ]
  }
]
