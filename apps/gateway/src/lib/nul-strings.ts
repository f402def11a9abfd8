/**
 * Where a parsed JSON value holds a string with the NUL character, or undefined. Postgres cannot
 * store NUL in text, so such a body is refused at the door rather than failing in a query.
 */
export function nulPath (value: unknown, path = 'body'): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}/${key}`
    const found = nulPath(item, `${path}/${key}`)
    if (found) return found
  }
  return undefined
}
