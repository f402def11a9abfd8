/** A thin HTTP client for tests: every call returns status, headers and the parsed body. */
export interface Reply<T = any> {
  status: number
  headers: Headers
  body: T
}

export interface CallOptions {
  token?: string
  body?: unknown
  headers?: Record<string, string>
}

/** The headers and body a call sends: a bearer token, and JSON unless told otherwise. */
export function requestParts (options: CallOptions): { headers: Record<string, string>, body?: string } {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body === undefined) return { headers }
  headers['content-type'] ??= 'application/json'
  return { headers, body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
}

/** The body as JSON when it is JSON, else as text. */
export function parseBody (text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined
  } catch {
    return text
  }
}

export async function call<T = any> (baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const { headers, body } = requestParts(options)
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body })
  return { status: res.status, headers: res.headers, body: parseBody(await res.text()) as T }
}

let counter = 0

export async function signup (baseUrl: string): Promise<{ userId: string, token: string, email: string }> {
  const email = `buyer-${process.pid}-${Date.now()}-${counter++}@example.com`
  const res = await call(baseUrl, 'POST', '/v1/auth/signup', { body: { email, password: 'correct horse battery' } })
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { ...res.body, email }
}

export async function signupMany (baseUrl: string, count: number): Promise<Array<{ userId: string, token: string }>> {
  const users = []
  // A few at a time: scrypt is deliberately slow and the machine is small.
  for (let i = 0; i < count; i += 20) {
    users.push(...await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => signup(baseUrl))))
  }
  return users
}

export async function createEvent (baseUrl: string, token: string, body: Record<string, unknown>): Promise<any> {
  const res = await call(baseUrl, 'POST', '/v1/events', { token, body: { name: 'Test event', ...body } })
  if (res.status !== 201) throw new Error(`event creation failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

export function seatIds (prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`)
}

/** Calls `read` every 100 ms until `done` says yes or `ms` have passed; returns the last value. */
export async function poll<T> (read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  let value = await read()
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = await read()
  }
  return value
}
