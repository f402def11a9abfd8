// What every browser test needs: Debian's Chromium driven by playwright-core, pages opened on the
// test's stack with their uncaught errors collected, and the page's own sign-up form.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import t from 'tap'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Where the tests' screenshots go, to be looked at. */
export const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url))
export const PASSWORD = 'correct horse battery'

export type ContextOptions = Parameters<Browser['newContext']>[0]

export interface BrowserKit {
  browser: Browser
  /** Every uncaught error of every page opened, as `path: message`: a test ends expecting none. */
  pageErrors: string[]
  /** A page of its own (a new context: its own storage, its own session) at `path` of the stack. */
  openPage (path: string, options?: ContextOptions): Promise<{ context: BrowserContext, page: Page }>
  /** A full load of another address (a new hash alone would not reload the page). */
  load (page: Page, path: string): Promise<void>
}

/**
 * Launches Chromium for this test file (closed at its end). `timeoutMs` is every page's default
 * for waits and actions: generous, since the machine is small and shared.
 */
export async function launchBrowser (baseUrl: string, { timeoutMs }: { timeoutMs?: number } = {}): Promise<BrowserKit> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`)
  await mkdir(SHOTS, { recursive: true })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container: no sandbox; a small /dev/shm: use /tmp.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  })
  t.teardown(() => browser.close())
  const pageErrors: string[] = []
  return {
    browser,
    pageErrors,
    async openPage (path, options = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options })
      const page = await context.newPage()
      if (timeoutMs) page.setDefaultTimeout(timeoutMs)
      page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`))
      await page.goto(`${baseUrl}${path}`)
      return { context, page }
    },
    async load (page, path) {
      await page.goto('about:blank')
      await page.goto(`${baseUrl}${path}`)
    },
  }
}

/** Signs a new user up through the page's form; resolves with the email once the page shows it. */
export async function signUpInPage (page: Page, who: string): Promise<string> {
  const email = `${who}-${process.pid}-${Date.now()}@example.com`
  await page.locator('#auth-email').fill(email)
  await page.locator('#auth-password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.locator('#who-email', { hasText: email }).waitFor()
  return email
}

/** A datetime-local value for the moment `at`, in the page's own time zone. */
export function localInput (page: Page, at: number): Promise<string> {
  return page.evaluate((ms) => {
    const d = new Date(ms)
    const p = (n: number) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  }, at)
}

/** The signed-in user's token, as the page keeps it. */
export function tokenOf (page: Page): Promise<string> {
  return page.evaluate(() => (JSON.parse(localStorage.getItem('seatline.session') ?? '{}') as { token: string }).token)
}
