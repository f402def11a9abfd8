/** A URL with its password replaced, fit for logs and error messages. */
export function redactUrl (raw: string): string {
  try {
    const parsed = new URL(raw)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    // A Postgres URL listing several hosts is no WHATWG URL: the password runs from the first `:`
    // of the user info to the authority's last `@`.
    return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:@]*:)[^/?#]*@/i, '$1***@')
  }
}
