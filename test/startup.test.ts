import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDb, dropDatabase } from '@seatline/db'
import { sql } from 'kysely'
import t from 'tap'
import { migrations } from '../migrations/index.ts'
import { clearRedisPrefix, REDIS_URL, uniqueName } from './helpers/stack.ts'

const ROOT = new URL('../', import.meta.url)

async function run (script: string, env: Record<string, string>): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const [code] = await once(child, 'exit')
  return { code, stderr }
}

t.test('an unreachable Postgres or Redis gets one clear line and a non-zero exit', async (t) => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['apps/worker/src/main.ts', { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/seatline' }, /cannot reach PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/seatline .*start it/],
    ['apps/gateway/src/server.ts', { REDIS_URL: 'redis://127.0.0.1:1' }, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 .*start it/],
    ['apps/gateway/src/server.ts', { BOOKING_WAIT_MS: 'soon' }, /configuration error: BOOKING_WAIT_MS must be a whole number/],
    ['apps/gateway/src/server.ts', { NODE_ENV: '', JWT_SECRET: '' }, /configuration error: JWT_SECRET must be set/],
    ['apps/gateway/src/server.ts', { HOST: '0.0.0.0', JWT_SECRET: '' }, /configuration error: JWT_SECRET must be set when HOST is not a loopback address/],
  ]
  for (const [script, env, message] of cases) {
    const { code, stderr } = await run(script, env)
    t.not(code, 0, `${script} exits non-zero`)
    t.match(stderr, message, 'names the problem and the way out')
    t.equal(stderr.trim().split('\n').length, 1, 'in one line, without a stack trace')
    t.notMatch(stderr, /hunter2/, 'and without the password')
  }
})

t.test('several processes starting at once on a missing database create and migrate it once', async (t) => {
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${uniqueName('start')}`
  const prefix = uniqueName('q')
  t.teardown(async () => {
    await dropDatabase(databaseUrl)
    await clearRedisPrefix(prefix)
  })
  // At info, each worker says 'worker ready' once its start (migrations included) is behind it.
  const env = { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' }
  const workers = Array.from({ length: 4 }, () => spawn(process.execPath, ['apps/worker/src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }))
  const output = workers.map((w) => {
    const out = { stdout: '', stderr: '' }
    w.stdout.on('data', (chunk) => { out.stdout += chunk })
    w.stderr.on('data', (chunk) => { out.stderr += chunk })
    return out
  })
  t.teardown(async () => {
    await Promise.all(workers.map(async (w) => {
      if (w.exitCode !== null) return
      const exited = once(w, 'exit')
      w.kill('SIGTERM')
      await exited
    }))
  })

  const db = createDb(databaseUrl, { max: 1 })
  t.teardown(() => db.destroy())
  // Every worker through its start (or gone): a migration that failed in any of them is in its
  // output by then.
  const deadline = Date.now() + 60_000
  const ready = () => output.every((o, i) => o.stdout.includes('worker ready') || workers[i]!.exitCode !== null)
  while (!ready() && Date.now() < deadline) await sleep(100)
  t.ok(output.every((o) => o.stdout.includes('worker ready')), 'every worker got through its start')

  // Kysely's table names each migration once (its primary key): what can go wrong is a migration
  // missing, one that is not in the registry, or the order.
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by timestamp, name`.execute(db)
  t.same(rows.map((r) => r.name), Object.keys(migrations), 'the migrations applied are those of migrations/index.ts, each once, in its order')
  t.same(output.map((o) => o.stderr), workers.map(() => ''), 'no worker wrote to stderr')
  const errors = output.flatMap((o) => o.stdout.split('\n').filter((line) => /"level":(50|60)\b/.test(line)))
  t.same(errors, [], 'no worker logged an error')
  t.ok(workers.every((w) => w.exitCode === null), 'and every process is running')
})
