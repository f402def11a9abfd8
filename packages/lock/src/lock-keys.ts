/**
 * A lockable resource, e.g. `seat:<eventId>:<seatId>` or `section:<eventId>:<sectionId>`. The braces
 * are a Redis Cluster hash tag: a lock and its fence counter always live in the same slot.
 */
export function lockKeys (prefix: string, resource: string): { lock: string, fence: string } {
  const tag = `${prefix}:{${resource}}`
  return { lock: `${tag}:lock`, fence: `${tag}:fence` }
}

export function seatResource (eventId: string, seatId: string): string {
  return `seat:${eventId}:${seatId}`
}

export function sectionResource (eventId: string, sectionId: string): string {
  return `section:${eventId}:${sectionId}`
}
