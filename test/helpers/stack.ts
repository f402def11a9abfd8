export * from '../harness/local-stack.ts'
