/**
 * The gateway in the test's own process, on a fresh database and Redis prefix, with no worker:
 * for behaviour the gateway answers alone (validation, problem replies, auth, unknown ids,
 * headers). Requests go through `app.inject()`, so no port and no child process.
 * Anything whose answer comes from a worker belongs in a `startStack` test.
 */
import { type Config, loadConfig } from '@seatline/config'
import type { Db } from '@seatline/db'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildApp } from '../../apps/gateway/src/app.ts'
import { createServices } from '../../apps/gateway/src/services.ts'
import { type CallOptions, parseBody, type Reply, requestParts } from '../helpers/api.ts'
import { clearRedisPrefix, freshDatabase, REDIS_URL, uniqueName } from '../helpers/stack.ts'

export interface AppOptions {
  /** Environment for `loadConfig`, over the harness's own database, Redis and prefix. */
  env?: Record<string, string>
}

export interface TestApp {
  app: FastifyInstance
  /** The app's database, for reading what a request did (or did not) change. */
  db: Db
  config: Config
  call<T = any> (method: string, path: string, options?: CallOptions): Promise<Reply<T>>
  signup (): Promise<{ userId: string, token: string, email: string }>
  createEvent (token: string, body: Record<string, unknown>): Promise<any>
  /** Closes the app and its services, drops the database and clears the prefix. */
  close (): Promise<void>
}

let counter = 0

export async function startApp (options: AppOptions = {}): Promise<TestApp> {
  return start(options)
}

async function start (options: AppOptions): Promise<TestApp> {
  const database = await freshDatabase()
  const prefix = uniqueName('q')
  const cleanUp = async () => {
    await database.drop()
    await clearRedisPrefix(prefix)
  }

  let app: FastifyInstance
  let config: Config
  try {
    config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      // The pressure guards would measure this whole test process, not a gateway: a test that
      // wants them sets them.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      MAX_HEAP_USED_MB: '0',
      // Tests sign up hundreds of buyers from one address, and make events by the dozen; these
      // limits have tests of their own.
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      EVENTS_PER_USER_PER_DAY: '0',
      STREAMS_PER_ADDRESS: '0',
      ...options.env,
    })
    const services = await createServices(config)
    try {
      app = await buildApp({ config, services, logger: false })
    } catch (error) {
      await services.close()
      throw error
    }
    // As server.ts does: the app owns its services and closes them with itself.
    app.addHook('onClose', () => services.close())
    try {
      await app.ready()
    } catch (error) {
      await app.close()
      throw error
    }
  } catch (error) {
    await cleanUp()
    throw error
  }

  async function call<T = any> (method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
    const { headers, body } = requestParts(options)
    const res = await app.inject({ method: method as InjectOptions['method'], url: path, headers, payload: body })
    // A fetch-style Headers, so assertions read the same as in the process tests.
    const replyHeaders = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) replyHeaders.append(name, String(one))
    }
    return { status: res.statusCode, headers: replyHeaders, body: parseBody(res.body) as T }
  }

  async function signup () {
    const email = `buyer-${process.pid}-${Date.now()}-${counter++}@example.com`
    const res = await call('POST', '/v1/auth/signup', { body: { email, password: 'correct horse battery' } })
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`)
    return { ...res.body, email }
  }

  async function createEvent (token: string, body: Record<string, unknown>) {
    const res = await call('POST', '/v1/events', { token, body: { name: 'Test event', ...body } })
    if (res.status !== 201) throw new Error(`event creation failed: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }

  let closing: Promise<void> | undefined
  return {
    app,
    db: database.db,
    config,
    call,
    signup,
    createEvent,
    close () {
      closing ??= (async () => {
        try {
          await app.close()
        } finally {
          await cleanUp()
        }
      })()
      return closing
    },
  }
}
