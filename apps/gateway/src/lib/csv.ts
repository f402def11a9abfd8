/**
 * RFC 4180 fields: quoted when they hold a comma, a quote or a line break. A field a spreadsheet
 * would run as a formula (=, +, -, @, tab or carriage return first: OWASP's CSV injection) is
 * prefixed with a single quote, because buyers choose their own email addresses.
 */
export function csvField (value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function csvLine (values: ReadonlyArray<string | number | null | undefined>): string {
  return `${values.map(csvField).join(',')}\r\n`
}
