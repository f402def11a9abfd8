const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids in paths are UUIDs; anything else names nothing, so routes answer 404 rather than 400. */
export function isUuid (value: string): boolean {
  return UUID.test(value)
}

export const SEAT_ID_PATTERN = '^[A-Za-z0-9_-]{1,16}$'
export const MAX_SEATS_PER_EVENT = 100_000
export const MAX_SEATS_PER_COMMAND = 10
