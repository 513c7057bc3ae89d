export * from './float-tensor'
export * from './batch'
export * from './elementwise'
export * from './float16'
