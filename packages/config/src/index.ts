export * from './load-config.ts'
export * from './redact-url.ts'
export * from './unreachable.ts'
export * from './infrastructure-faults.ts'
