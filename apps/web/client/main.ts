/**
 * The web app's entry: one page, two views. `/organiser` is the organiser's, anything else the
 * buyer's. Signing in is shared: the session lives in localStorage.
 */
import { ApiClient, ApiError, describeProblem } from './api.ts'
import { startBuyer } from './buyer.ts'
import type { PageContext } from './context.ts'
import { byId, say } from './dom.ts'
import { startOrganiser } from './organiser.ts'
import { clearSession, loadSession, saveSession, type Session } from './session.ts'

let session = loadSession()
const listeners: Array<() => void> = []

const api = new ApiClient({
  token: () => session?.token,
  onUnauthenticated: () => {
    setSession(undefined)
    showAuth('Your session has ended: sign in again.')
  },
})

function setSession (next: Session | undefined): void {
  session = next
  if (next) saveSession(next)
  else clearSession()
  renderWho()
  for (const listener of listeners) listener()
}

function renderWho (): void {
  byId('who').hidden = !session
  byId('who-email').textContent = session?.email ?? ''
  if (session) byId('auth').hidden = true
}

function showAuth (why: string, focus = true): void {
  const auth = byId('auth')
  auth.hidden = false
  byId('auth-why').textContent = why
  if (focus) byId('auth-email').focus()
}

const ctx: PageContext = {
  api,
  session: () => session,
  requireSession (why) {
    if (session) return true
    showAuth(why)
    return false
  },
  onSessionChange: (listener) => { listeners.push(listener) },
}

const authForm = byId<HTMLFormElement>('auth-form')
authForm.addEventListener('submit', (e) => {
  e.preventDefault()
  const action = ((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value === 'signup' ? 'signup' : 'login'
  const email = byId<HTMLInputElement>('auth-email').value.trim()
  const password = byId<HTMLInputElement>('auth-password').value
  const message = byId('auth-message')
  say(message, action === 'signup' ? 'Signing up…' : 'Logging in…')
  const request = action === 'signup' ? api.signup(email, password) : api.login(email, password)
  request.then(({ userId, token }) => {
    say(message, '')
    byId<HTMLInputElement>('auth-password').value = ''
    setSession({ userId, token, email })
  }, (error: unknown) => {
    say(message, error instanceof ApiError ? describeProblem(error.problem) : (error as Error).message, 'error')
  })
})

byId('logout').addEventListener('click', () => {
  setSession(undefined)
  showAuth('Signed out.')
})

// A phone left somewhere, a shared computer: every session of the account ends, this one too.
byId('logout-everywhere').addEventListener('click', () => {
  const message = byId('who-message')
  say(message, 'Signing out everywhere…')
  api.signOutEverywhere().then(() => {
    say(message, '')
    setSession(undefined)
    showAuth('Signed out on every device: each must log in again.')
  }, (error: unknown) => {
    say(message, error instanceof ApiError ? describeProblem(error.problem) : (error as Error).message, 'error')
  })
})

const page = location.pathname.replace(/\/+$/, '') === '/organiser' ? 'organiser' : 'buyer'
byId(page).hidden = false
for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
  if (link.dataset.page === page) link.setAttribute('aria-current', 'page')
}
renderWho()
if (!session) showAuth(page === 'organiser' ? 'Sign in to create events.' : 'Browse freely; to hold and book seats, sign in.', false)
if (page === 'organiser') startOrganiser(ctx)
else startBuyer(ctx)
