import type { ApiClient } from './api.ts'
import type { Session } from './session.ts'

/** What main.ts gives each page. */
export interface PageContext {
  api: ApiClient
  session: () => Session | undefined
  /** True when signed in; else shows the sign-in form saying why, and returns false. */
  requireSession: (why: string) => boolean
  /** Called on sign-in and sign-out. */
  onSessionChange: (listener: () => void) => void
}
