import { ConfigError, loadConfig, redactUrl } from '@seatline/config'
import t from 'tap'

t.test('defaults make a development stack on this machine', async (t) => {
  const config = loadConfig({ NODE_ENV: 'development' })
  t.equal(config.port, 3000)
  t.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/seatline')
  t.equal(config.redisUrl, 'redis://127.0.0.1:6379')
  t.equal(config.queuePartitions, 4)
  t.equal(config.queueBatchMax, 100)
  t.equal(config.bookingWaitMs, 10_000)
  t.ok(config.jwtSecret.length >= 32)
  t.equal(config.metrics, true, 'the gateway serves /metrics')
  t.equal(config.workerMetricsPort, 0, 'workers serve none until given a port')
  t.equal(loadConfig({ NODE_ENV: 'development', METRICS: 'off' }).metrics, false)
  t.equal(config.liveMapWritesPerSecond, 5_000)
  t.equal(config.corsOrigins, '*')
  t.same(loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins, ['https://a.example', 'http://localhost:5173'])
  t.same([config.loginFailuresPerAccount, config.loginFailuresPerAddress, config.loginLockMaxSeconds], [10, 100, 300], 'logins throttled by the 10th failure')
})

t.test('a bad value is refused with a message naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ QUEUE_PARTITIONS: '0' }, /QUEUE_PARTITIONS must be between 1/],
    [{ QUEUE_BATCH_MAX: '0' }, /QUEUE_BATCH_MAX must be between 1/],
    [{ BOOKING_WAIT_MS: '-1' }, /BOOKING_WAIT_MS must be a whole number/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must start with postgres:/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL is not a valid URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ METRICS: 'yes' }, /METRICS must be on or off/],
    [{ WORKER_METRICS_PORT: '70000' }, /WORKER_METRICS_PORT must be between 0 and 65535/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, /REDIS_CLUSTER_NODES must be host:port/],
    [{ QUEUE_MAX_WAITING: '0' }, /QUEUE_MAX_WAITING must be between 1/],
    [{ LIVE_MAP_WRITES_PER_SECOND: '10' }, /LIVE_MAP_WRITES_PER_SECOND must be between 100/],
    [{ LOGIN_FAILURES_PER_ACCOUNT: '21' }, /LOGIN_FAILURES_PER_ACCOUNT must be between 0 and 20/],
    [{ LOGIN_LOCK_MAX_SECONDS: '0' }, /LOGIN_LOCK_MAX_SECONDS must be between 1/],
    [{ CORS_ORIGINS: 'tickets.example' }, /CORS_ORIGINS must be \* or origins/],
    [{ CORS_ORIGINS: 'https://tickets.example/path' }, /CORS_ORIGINS must be \* or origins/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET must be set/],
    [{ NODE_ENV: 'production', JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32/],
    [{ NODE_ENV: 'development', JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32/],
  ]
  for (const [env, message] of bad) {
    t.throws(() => loadConfig({ NODE_ENV: 'development', ...env }), { name: 'ConfigError', message }, JSON.stringify(env))
  }
  t.ok(new ConfigError('x') instanceof Error)
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret, 'x'.repeat(32))
})

t.test('the JWT secret fails closed: the public development secret only on a gateway nobody else can reach', async (t) => {
  const secret = 'x'.repeat(32)
  t.throws(() => loadConfig({}), { message: /JWT_SECRET must be set/ }, 'no NODE_ENV is not development: a secret is required')
  t.throws(() => loadConfig({ NODE_ENV: 'staging' }), { message: /JWT_SECRET must be set/ }, 'nor is any other name')
  t.throws(() => loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }), { message: /loopback/ }, 'development listening beyond loopback needs a secret')
  t.throws(() => loadConfig({ NODE_ENV: 'test', HOST: '192.168.1.10' }), { message: /loopback/ })
  const dev = loadConfig({ NODE_ENV: 'development' })
  t.equal(dev.host, '127.0.0.1', 'development listens on loopback unless told otherwise')
  t.ok(dev.jwtSecret.length >= 32, 'with the development secret')
  t.equal(loadConfig({ NODE_ENV: 'test', HOST: '::1' }).host, '::1')
  const production = loadConfig({ JWT_SECRET: secret })
  t.same([production.nodeEnv, production.host, production.jwtSecret], ['production', '0.0.0.0', secret], 'with a secret, everything as asked')
  t.equal(loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0', JWT_SECRET: secret }).host, '0.0.0.0')
})

t.test('a Redis Cluster is named by its seed nodes', async (t) => {
  t.same(loadConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-b:7001' }).redisClusterNodes, [{ host: '127.0.0.1', port: 7000 }, { host: 'redis-b', port: 7001 }])
  t.equal(loadConfig({ NODE_ENV: 'test' }).redisClusterNodes, undefined, 'unset: one Redis at REDIS_URL')
})

t.test('passwords never reach logs', async (t) => {
  t.equal(redactUrl('postgres://app:s3cret@db:5432/seatline'), 'postgres://app:***@db:5432/seatline')
})
