/** Opaque page cursors: clients pass back what they were given and never build one. */
export function encodeCursor (value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url')
}

export function decodeCursor (cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  return Buffer.from(cursor, 'base64url').toString('utf8')
}

/** Fetch one more row than asked for; its presence says there is a next page. */
export function toPage<T> (rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[], nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  return { items, nextCursor: encodeCursor(cursorOf(items[items.length - 1]!)) }
}
