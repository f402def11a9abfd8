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
  t.same([config.streamsPerAddress, config.streamsMax], [20, 10_000], 'streams capped per address and per gateway')
  const uncapped = loadConfig({ NODE_ENV: 'test', STREAMS_PER_ADDRESS: '0', STREAMS_MAX: '0' })
  t.same([uncapped.streamsPerAddress, uncapped.streamsMax], [0, 0], '0 turns each cap off')
  t.equal(config.corsOrigins, '*')
  t.same(loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins, ['https://a.example', 'http://localhost:5173'])
  t.same([config.loginFailuresPerAccount, config.loginFailuresPerAddress, config.loginLockMaxSeconds], [10, 100, 300], 'logins throttled by the 10th failure')
  t.same([config.authRateLimitPerMinute, config.passwordHashConcurrency, config.passwordHashMaxWaiting, config.eventsPerUserPerDay, config.holdSeatsPerUser, config.commandsInFlightPerUser], [120, 2, 100, 50, 20, 32])
  t.same([config.retentionSeconds, config.retentionBatchSize], [86_400, 1_000], 'records and keys kept a day, deleted a thousand at a time')
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
    [{ STREAMS_PER_ADDRESS: 'many' }, /STREAMS_PER_ADDRESS must be a whole number/],
    [{ STREAMS_PER_ADDRESS: '-1' }, /STREAMS_PER_ADDRESS must be a whole number/],
    [{ STREAMS_MAX: '20000000' }, /STREAMS_MAX must be between 0 and 10000000/],
    [{ LOGIN_FAILURES_PER_ACCOUNT: '21' }, /LOGIN_FAILURES_PER_ACCOUNT must be between 0 and 20/],
    [{ LOGIN_LOCK_MAX_SECONDS: '0' }, /LOGIN_LOCK_MAX_SECONDS must be between 1/],
    [{ PASSWORD_HASH_CONCURRENCY: '0' }, /PASSWORD_HASH_CONCURRENCY must be between 1 and 64/],
    [{ RETENTION_SECONDS: '0' }, /RETENTION_SECONDS must be between 1/],
    [{ RETENTION_SECONDS: '1d' }, /RETENTION_SECONDS must be a whole number/],
    [{ RETENTION_BATCH_SIZE: '0' }, /RETENTION_BATCH_SIZE must be between 1 and 100000/],
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

t.test('INTERNAL_PORT moves the operations routes to a port of their own, on loopback unless told', async (t) => {
  const unset = loadConfig({ NODE_ENV: 'development' })
  t.equal(unset.internalPort, 0, 'unset: everything on PORT, as before')
  t.equal(unset.internalHost, '127.0.0.1')
  const set = loadConfig({ NODE_ENV: 'test', INTERNAL_PORT: '9100' })
  t.same([set.internalPort, set.internalHost, set.port], [9100, '127.0.0.1', 3000])
  t.equal(loadConfig({ NODE_ENV: 'test', INTERNAL_PORT: '9100', INTERNAL_HOST: '10.0.0.7' }).internalHost, '10.0.0.7', 'a private interface')
  t.equal(loadConfig({ NODE_ENV: 'test', INTERNAL_PORT: '' }).internalPort, 0, 'empty is unset')
  t.equal(loadConfig({ NODE_ENV: 'test', PORT: '0', INTERNAL_PORT: '0' }).internalPort, 0, 'PORT 0 (any free port) and INTERNAL_PORT unset do not clash')
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ INTERNAL_PORT: 'nine' }, /INTERNAL_PORT must be a whole number/],
    [{ INTERNAL_PORT: '70000' }, /INTERNAL_PORT must be between 0 and 65535/],
    [{ INTERNAL_PORT: '3000' }, /INTERNAL_PORT must differ from PORT/],
    [{ PORT: '8080', INTERNAL_PORT: '8080' }, /INTERNAL_PORT must differ from PORT/],
  ]
  for (const [env, message] of bad) {
    t.throws(() => loadConfig({ NODE_ENV: 'development', ...env }), { name: 'ConfigError', message }, JSON.stringify(env))
  }
})

t.test('passwords never reach logs', async (t) => {
  t.equal(redactUrl('postgres://app:s3cret@db:5432/seatline'), 'postgres://app:***@db:5432/seatline')
})
