export * from './lock-keys.ts'
export * from './resource-locks.ts'
