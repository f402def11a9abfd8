/** Ids are bare UUIDs: no `urn:uuid:` prefix, no braces (which ajv's format allows and Postgres refuses). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
const UUID = new RegExp(UUID_PATTERN)

/** Ids in paths are UUIDs; anything else names nothing, so routes answer 404 rather than 400. */
export function isUuid (value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}

export const SEAT_ID_PATTERN = '^[A-Za-z0-9_-]{1,16}$'
export const MAX_SEATS_PER_EVENT = 100_000
export const MAX_SEATS_PER_COMMAND = 10
