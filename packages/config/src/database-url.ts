/**
 * DATABASE_URL with libpq's meaning of several hosts: `postgres://user@h1:5432,h2:5432/db
 * ?target_session_attrs=read-write`. node-postgres takes one host per connection string, so the
 * list is split here into one single-host URL per host, in the order given.
 */

/** What a session must be to be kept (libpq's `target_session_attrs`), of those Seatline can use. */
export type TargetSessionAttrs = 'any' | 'read-write' | 'primary'

export interface DatabaseHost {
  /** `host:port` as written, for messages. */
  label: string
  /** The same URL naming this host alone, without `target_session_attrs`. */
  url: string
}

export interface DatabaseUrl {
  hosts: DatabaseHost[]
  targetSessionAttrs: TargetSessionAttrs
}

const USABLE: TargetSessionAttrs[] = ['any', 'read-write', 'primary']
const LIBPQ_ONLY = ['read-only', 'standby', 'prefer-standby']
const ATTRS_PARAM = 'target_session_attrs'

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError'
}

/** The URL split at its authority: scheme, user info (with its `@`), host list, and the rest. */
function split (raw: string): { scheme: string, userinfo: string, hostList: string, rest: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(raw)
  if (!match) return undefined
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string]
  // The last `@` ends the user info, as URL parsers read it.
  const at = authority.lastIndexOf('@')
  return { scheme, userinfo: authority.slice(0, at + 1), hostList: authority.slice(at + 1), rest }
}

/** The query without `target_session_attrs`, every other parameter byte for byte. */
function withoutAttrs (rest: string): { rest: string, attrs: string | undefined } {
  const q = rest.indexOf('?')
  if (q === -1) return { rest, attrs: undefined }
  const hash = rest.indexOf('#', q)
  const query = rest.slice(q + 1, hash === -1 ? undefined : hash)
  let attrs: string | undefined
  const kept = query.split('&').filter((pair) => {
    const [key = '', value = ''] = pair.split('=')
    if (decodeURIComponent(key) !== ATTRS_PARAM) return true
    attrs = decodeURIComponent(value)
    return false
  })
  return { rest: rest.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '') + (hash === -1 ? '' : rest.slice(hash)), attrs }
}

/**
 * Splits and checks a Postgres URL. Several hosts need `target_session_attrs=read-write` (or
 * `primary`): with libpq's default, `any`, a standby could be chosen, and every write would fail.
 */
export function parseDatabaseUrl (raw: string): DatabaseUrl {
  const parts = split(raw)
  // Not echoed: it may carry a password.
  if (!parts) throw new DatabaseUrlError('is not a valid URL')
  const { rest, attrs } = withoutAttrs(parts.rest)
  const targetSessionAttrs = (attrs ?? 'any') as TargetSessionAttrs
  if (!USABLE.includes(targetSessionAttrs)) {
    const why = LIBPQ_ONLY.includes(targetSessionAttrs) ? ': Seatline writes, so it needs a primary' : ''
    throw new DatabaseUrlError(`${ATTRS_PARAM} must be ${USABLE.join(', ')}, got "${attrs}"${why}`)
  }
  const names = parts.hostList.split(',')
  if (names.length > 1 && targetSessionAttrs === 'any') {
    throw new DatabaseUrlError(`lists ${names.length} hosts: add ?${ATTRS_PARAM}=read-write, or a standby could be chosen and every write would fail`)
  }
  // libpq also reads ?host=h1,h2; node-postgres would take the list for one name.
  if (/[?&]host=[^&#]*(,|%2c)/i.test(rest)) throw new DatabaseUrlError('lists hosts in ?host=: list them before the path instead (postgres://user@h1:5432,h2:5432/db)')
  const hosts = names.map((label) => {
    if (names.length > 1 && !label) throw new DatabaseUrlError('has an empty host in its list')
    // One host and no attrs to drop: the URL exactly as given, as before there was a list.
    const url = names.length === 1 && attrs === undefined ? raw : `${parts.scheme}${parts.userinfo}${label}${rest}`
    try {
      // eslint-disable-next-line no-new
      new URL(url)
    } catch {
      throw new DatabaseUrlError(`host "${label}" does not make a valid URL`)
    }
    return { label: label || '(default host)', url }
  })
  return { hosts, targetSessionAttrs }
}
