import pg from 'pg'
import t from 'tap'
import { BASE_DATABASE_URL, startStack } from './harness/local-stack.ts'
import { startPrivateRedis } from './harness/private-redis.ts'
import { startTcpProxy } from './harness/tcp-proxy.ts'

// The server's own database: always there, whatever BASE_DATABASE_URL names.
const POSTGRES_URL = Object.assign(new URL(BASE_DATABASE_URL), { pathname: '/postgres' }).toString()

async function selectOne (url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows } = await client.query<{ one: number }>('select 1 as one')
    return rows[0]!.one
  } finally {
    await client.end().catch(() => {})
  }
}

async function settled (promise: Promise<unknown>): Promise<{ ok: boolean, error?: any, ms: number }> {
  const started = Date.now()
  try {
    await promise
    return { ok: true, ms: Date.now() - started }
  } catch (error) {
    return { ok: false, error, ms: Date.now() - started }
  }
}

t.test('private redis: AOF survives a crash and a restart on the same port; flushall empties it', async (t) => {
  const redis = await startPrivateRedis({ appendonly: true })
  t.teardown(() => redis.stop())
  await redis.command('set', 'k', 'kept')
  const { url, port } = redis
  const pid = redis.pid
  await redis.kill()
  t.notOk(redis.running, 'SIGKILL takes it down')
  t.notOk((await settled(redis.command('ping'))).ok, 'and nothing answers')
  await redis.start()
  t.equal(redis.url, url, 'back on the same URL')
  t.equal(redis.port, port)
  t.not(redis.pid, pid, 'as a new process')
  t.equal(await redis.command('get', 'k'), 'kept', 'the acknowledged write survived the crash')
  await redis.flushall()
  t.equal(await redis.command('dbsize'), 0, 'flushall empties it')
})

t.test('private redis: without AOF a crash loses data, a saving shutdown keeps it', async (t) => {
  const redis = await startPrivateRedis({ appendonly: false })
  t.teardown(() => redis.stop())
  await redis.command('set', 'k', 'v')
  await redis.kill()
  await redis.start()
  t.equal(await redis.command('get', 'k'), null, 'gone after SIGKILL')
  await redis.command('set', 'k', 'v')
  await redis.shutdown({ save: true })
  t.notOk(redis.running)
  await redis.start()
  t.equal(await redis.command('get', 'k'), 'v', 'kept by SHUTDOWN SAVE')
  await redis.shutdown({ save: false })
  await redis.start()
  t.equal(await redis.command('get', 'k'), 'v', 'the earlier snapshot is still there after SHUTDOWN NOSAVE')
})

t.test('tcp proxy in front of Postgres: relays, cuts off, lets back in', async (t) => {
  const proxy = await startTcpProxy(POSTGRES_URL)
  t.teardown(() => proxy.close())
  const url = proxy.urlFor(POSTGRES_URL)
  t.match(url, `127.0.0.1:${proxy.port}`)
  t.equal(await selectOne(url), 1, 'select 1 through the proxy')

  const many = await Promise.all(Array.from({ length: 30 }, () => selectOne(url)))
  t.ok(many.every((one) => one === 1), '30 connections at once')
  const deadline = Date.now() + 2_000
  while (proxy.openConnections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(proxy.openConnections, 0, 'closed connections are forgotten')

  const held = new pg.Client({ connectionString: url })
  const heldErrors: Error[] = []
  held.on('error', (error) => heldErrors.push(error))
  await held.connect()
  t.equal(proxy.openConnections, 1)
  await proxy.cut()
  t.ok(proxy.isCut)
  t.equal(proxy.openConnections, 0, 'cut drops open connections')
  t.notOk((await settled(held.query('select 1'))).ok, 'a connection open before the cut fails')
  const refused = await settled(selectOne(url))
  t.notOk(refused.ok, 'a new connection fails')
  t.equal(refused.error?.code, 'ECONNREFUSED', 'refused')
  t.ok(refused.ms < 1_000, `at once (${refused.ms} ms)`)

  await proxy.restore()
  t.notOk(proxy.isCut)
  t.equal(await selectOne(url), 1, 'restore lets new connections through')

  const survivor = new pg.Client({ connectionString: url })
  survivor.on('error', () => {})
  await survivor.connect()
  proxy.terminateAll()
  t.notOk((await settled(survivor.query('select 1'))).ok, 'terminateAll drops open connections')
  t.equal(await selectOne(url), 1, 'but new ones still get through')
})

t.test('a stack on a private redis behind a Postgres proxy: kill, add and restart processes', async (t) => {
  const redis = await startPrivateRedis({ appendonly: true })
  t.teardown(() => redis.stop())
  const proxy = await startTcpProxy(BASE_DATABASE_URL)
  t.teardown(() => proxy.close())
  const stack = await startStack({ workers: 1, redisUrl: redis.url, databaseUrlFor: (url) => proxy.urlFor(url) })
  // Teardowns run last in, first out: the stack stops before the redis and proxy go.
  t.teardown(() => stack.stop())

  t.equal((await fetch(`${stack.url}/ready`)).status, 200, 'ready')
  t.ok(proxy.openConnections > 0, 'the processes reach Postgres through the proxy')
  t.equal(stack.env.REDIS_URL, redis.url, 'and Redis at the private one')
  t.not(stack.env.DATABASE_URL, stack.databaseUrl)
  t.equal(Number((await stack.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0, 'stack.db connects directly')

  const first = stack.workers[0]!
  t.same(await first.kill('SIGKILL'), { code: null, signal: 'SIGKILL' }, 'a worker killed with SIGKILL')
  t.notOk(first.alive)

  let started = Date.now()
  const added = await stack.startWorker()
  t.ok(added.alive, `startWorker adds a worker that says it is ready (${Date.now() - started} ms)`)
  t.equal(stack.workers.length, 2)
  t.ok(stack.pids.worker.includes(added.pid))

  const gateway = stack.gateways[0]!
  await gateway.kill('SIGKILL')
  t.notOk((await settled(fetch(`${stack.url}/ready`))).ok, 'a dead gateway does not answer')
  started = Date.now()
  const restarted = await stack.restartGateway(0)
  t.not(restarted.pid, gateway.pid, `restartGateway starts a new process (${Date.now() - started} ms)`)
  t.equal(stack.gateways[0], restarted, 'the new gateway takes slot 0')
  t.equal(restarted.url, stack.url)
  t.equal((await fetch(`${stack.url}/ready`)).status, 200, 'ready again on the same URL')

  const keys = async () => (await redis.command('keys', `${stack.prefix}:*`) as string[]).length
  t.ok(await keys() > 0, 'the workers keep their queues in the private redis')
  await stack.stop()
  t.ok(stack.processes.every((p) => p.exitCode !== null || p.signalCode !== null), 'stop ends every process, later ones too')
  t.equal(stack.processes.length, 4)
  t.match(stack.output(), /worker \d+ exited \(SIGKILL\)/, 'the log notes each exit')
  t.equal(await keys(), 0, "stop clears the stack's keys")
})
