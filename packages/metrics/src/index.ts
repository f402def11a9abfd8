export * from './registry.ts'
export * from './serve-metrics.ts'
