/** Who is signed in, kept in localStorage so a reload (or the other page) stays signed in. */

const KEY = 'seatline.session'

export interface Session {
  userId: string
  email: string
  token: string
}

/** The JWT's expiry in ms, if it says; a token past it is no use. */
function expiresAt (token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number }
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined
  } catch {
    return undefined
  }
}

export function loadSession (): Session | undefined {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null
    if (!session?.token) return undefined
    const exp = expiresAt(session.token)
    if (exp !== undefined && exp <= Date.now()) {
      clearSession()
      return undefined
    }
    return session
  } catch {
    return undefined
  }
}

export function saveSession (session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session))
}

export function clearSession (): void {
  localStorage.removeItem(KEY)
}
