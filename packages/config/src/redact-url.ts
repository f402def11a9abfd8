/** A URL with its password replaced, fit for logs and error messages. */
export function redactUrl (raw: string): string {
  try {
    const parsed = new URL(raw)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return raw
  }
}
