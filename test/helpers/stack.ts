export * from '../../scripts/local-stack.ts'
