/**
 * Redis keys of the locks. The braces are a Redis Cluster hash tag, so each lock key names its
 * own slot. Locks expire; the fence counter is the only key that stays, one per stack.
 */
export function lockKey (prefix: string, resource: string): string {
  return `${prefix}:{${resource}}:lock`
}

export function fenceKey (prefix: string): string {
  return `${prefix}:{fence}`
}
