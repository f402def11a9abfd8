import { ConfigError, loadConfig, redactUrl } from '@seatline/config'
import t from 'tap'

t.test('defaults make a development stack on this machine', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/seatline')
  t.equal(config.redisUrl, 'redis://127.0.0.1:6379')
  t.equal(config.queuePartitions, 4)
  t.equal(config.queueBatchMax, 100)
  t.equal(config.bookingWaitMs, 10_000)
  t.ok(config.jwtSecret.length >= 32)
  t.equal(config.metrics, true, 'the gateway serves /metrics')
  t.equal(config.workerMetricsPort, 0, 'workers serve none until given a port')
  t.equal(loadConfig({ METRICS: 'off' }).metrics, false)
  t.equal(config.liveMapWritesPerSecond, 5_000)
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
    [{ NODE_ENV: 'production' }, /JWT_SECRET must be set/],
    [{ NODE_ENV: 'production', JWT_SECRET: 'short' }, /JWT_SECRET must be set to at least 32/],
  ]
  for (const [env, message] of bad) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
  t.ok(new ConfigError('x') instanceof Error)
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret, 'x'.repeat(32))
})

t.test('a Redis Cluster is named by its seed nodes', async (t) => {
  t.same(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-b:7001' }).redisClusterNodes, [{ host: '127.0.0.1', port: 7000 }, { host: 'redis-b', port: 7001 }])
  t.equal(loadConfig({}).redisClusterNodes, undefined, 'unset: one Redis at REDIS_URL')
})

t.test('passwords never reach logs', async (t) => {
  t.equal(redactUrl('postgres://app:s3cret@db:5432/seatline'), 'postgres://app:***@db:5432/seatline')
})
