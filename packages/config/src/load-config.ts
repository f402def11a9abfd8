import { DatabaseUrlError, parseDatabaseUrl } from './database-url.ts'
import { redactUrl } from './redact-url.ts'

/**
 * Seatline's whole configuration, read from the environment once and validated in one place,
 * so a bad value stops a process at start with a message that names the variable.
 */
export interface Config {
  nodeEnv: string
  port: number
  host: string
  databaseUrl: string
  redisUrl: string
  /** Redis Cluster seed nodes; when set, every connection is a cluster client and REDIS_URL is unused. */
  redisClusterNodes?: Array<{ host: string, port: number }>
  jwtSecret: string
  /** The secret before the last rotation: tokens it signed still verify until they expire (12 h). */
  jwtPreviousSecret?: string
  /** Number of partition queues; a cluster-wide setting. */
  queuePartitions: number
  /** Prefix of every Redis key Seatline writes (queues and seat locks). */
  queuePrefix: string
  /** Most commands one job carries; 1 sends every command as a job of its own, at once. */
  queueBatchMax: number
  bookingWaitMs: number
  /**
   * How long a worker's hold on a job (and on its seat locks) lasts without renewal. A worker
   * renews it every half of this while alive, so a dead worker's job is taken back this soon.
   */
  jobLockMs: number
  /** How often workers look for jobs whose worker died. */
  stalledCheckMs: number
  /** Commands one partition may have waiting (in this gateway's line and in Redis) before new ones get 503 OVERLOADED. */
  queueMaxWaiting: number
  /** Commands per minute per signed-in user, and per client address on public routes; 0 turns the limit off. */
  rateLimitPerMinute: number
  rateLimitAnonymousPerMinute: number
  /**
   * Login throttling: failed logins one account (from anywhere), or one client address (for any
   * account), may have before further attempts wait; 0 turns that count off. Each failure past
   * the limit doubles the wait, from 1 s up to `loginLockMaxSeconds`.
   */
  loginFailuresPerAccount: number
  loginFailuresPerAddress: number
  loginLockMaxSeconds: number
  /** Commands one user may have waiting for their answers on one gateway at once; 0 is no cap. */
  commandsInFlightPerUser: number
  /** Seats one account may hold in one event at a time, whatever the organiser's limit (workers decide it); 0 is no cap. */
  holdSeatsPerUser: number
  /** Events one user may create in 24 hours (each may hold up to 100,000 seats); 0 is no limit. */
  eventsPerUserPerDay: number
  /** Signups, and logins, a minute per client address (each counted on its own); 0 turns it off. */
  authRateLimitPerMinute: number
  /** Password hashes a gateway runs at once, and how many more may wait before 503 OVERLOADED. */
  passwordHashConcurrency: number
  passwordHashMaxWaiting: number
  /**
   * Origins whose pages may call the API from a browser: '*' (any), or a list. Tokens travel in
   * a header, never a cookie, so a page elsewhere can read nothing without the buyer's token.
   */
  corsOrigins: '*' | string[]
  /** Event-loop delay and heap use past which the gateway sheds requests with 503 OVERLOADED; 0 turns a guard off. */
  maxEventLoopDelayMs: number
  maxHeapUsedMb: number
  logLevel: string
  workerCount: number
  /** The port a worker serves GET /metrics on; 0 (unset) serves none. */
  workerMetricsPort: number
  /** The gateway's GET /metrics and its per-request series; off keeps them off a public port. */
  metrics: boolean
  /**
   * The gateway's second, internal listener: when set, GET /metrics, /ready and /docs are served
   * on this port (at `internalHost`) and not on `port`, which keeps /health, the API and the
   * pages. 0 (unset) serves everything on `port`.
   */
  internalPort: number
  /** The address of the internal listener: loopback unless bound to a private interface. */
  internalHost: string
  /** Socket writes a second a gateway spends on live seat maps; past it, their flushes come less often. */
  liveMapWritesPerSecond: number
  /**
   * Server-Sent-Event streams (seat maps and queue tickets together) one client address may hold
   * open on one gateway, past which more get 429 RATE_LIMITED; 0 turns the cap off. Behind a
   * proxy every client has the proxy's address: then 0, or high.
   */
  streamsPerAddress: number
  /** Streams one gateway holds open in all, past which more get 503 OVERLOADED; 0 turns the cap off. */
  streamsMax: number
  /**
   * How long request records, idempotency keys and ended holds are kept: a key older than this
   * is a new request (gateways), and the workers' maintenance deletes what is older.
   */
  retentionSeconds: number
  /** Rows one retention delete removes, in its own short transaction. */
  retentionBatchSize: number
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const DEV_JWT_SECRET = 'seatline-development-secret-do-not-use-in-production'
const DEVELOPMENT_ENVS = ['development', 'test']
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

type Env = Record<string, string | undefined>

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`)
  return value
}

function url (env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = env[name] || fallback
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${raw}"`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}//, got "${raw}"`)
  }
  return raw
}

/** DATABASE_URL: one host, or several with libpq's meaning (database-url.ts). */
function databaseUrl (env: Env): string {
  const raw = env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/seatline'
  if (!/^postgres(ql)?:\/\//i.test(raw)) throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${redactUrl(raw)}"`)
  try {
    parseDatabaseUrl(raw)
  } catch (error) {
    if (error instanceof DatabaseUrlError) throw new ConfigError(`DATABASE_URL ${error.message}`)
    throw error
  }
  return raw
}

function onOff (env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return fallback
  if (raw === 'on' || raw === 'off') return raw === 'on'
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`)
}

function origins (env: Env): '*' | string[] {
  const raw = env.CORS_ORIGINS?.trim()
  if (!raw || raw === '*') return '*'
  return raw.split(',').map((origin) => {
    const trimmed = origin.trim()
    let parsed: URL | undefined
    try {
      parsed = new URL(trimmed)
    } catch {}
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== trimmed) {
      throw new ConfigError(`CORS_ORIGINS must be * or origins such as https://tickets.example.com[,https://…], got "${trimmed}"`)
    }
    return trimmed
  })
}

function clusterNodes (env: Env): Array<{ host: string, port: number }> | undefined {
  const raw = env.REDIS_CLUSTER_NODES?.trim()
  if (!raw) return undefined
  return raw.split(',').map((node) => {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(node.trim())
    if (!match || Number(match[2]) > 65535) throw new ConfigError(`REDIS_CLUSTER_NODES must be host:port[,host:port...], got "${raw}"`)
    return { host: match[1]!, port: Number(match[2]) }
  })
}

export function loadConfig (env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'production'
  const development = DEVELOPMENT_ENVS.includes(nodeEnv)
  // Off a developer's machine nothing listens on every interface unless told to.
  const host = env.HOST || (development ? '127.0.0.1' : '0.0.0.0')
  const jwtSecret = env.JWT_SECRET || ''
  if (jwtSecret && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters')
  // The development secret is in the repository: anyone could sign tokens with it. It is only
  // ever used by a gateway that nobody else can reach.
  if (!jwtSecret && !development) {
    throw new ConfigError('JWT_SECRET must be set to at least 32 characters (only NODE_ENV=development or test runs without one)')
  }
  const jwtPreviousSecret = env.JWT_PREVIOUS_SECRET || undefined
  if (jwtPreviousSecret !== undefined && (jwtPreviousSecret.length < 32 || jwtPreviousSecret === jwtSecret)) {
    throw new ConfigError('JWT_PREVIOUS_SECRET must be at least 32 characters, and not JWT_SECRET')
  }
  if (!jwtSecret && !LOOPBACK.test(host)) {
    throw new ConfigError(`JWT_SECRET must be set when HOST is not a loopback address (HOST=${host}): the development secret is public`)
  }
  const logLevel = env.LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  }
  const queuePrefix = env.QUEUE_PREFIX || 'seatline'
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError(`QUEUE_PREFIX must be 1..64 characters of [A-Za-z0-9_-], got "${queuePrefix}"`)
  }
  const port = integer(env, 'PORT', 3000, 0, 65535)
  const internalPort = integer(env, 'INTERNAL_PORT', 0, 0, 65535)
  if (internalPort !== 0 && internalPort === port) {
    throw new ConfigError(`INTERNAL_PORT must differ from PORT (both ${port}): the operations routes would be public again`)
  }
  return {
    nodeEnv,
    port,
    host,
    databaseUrl: databaseUrl(env),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisClusterNodes: clusterNodes(env),
    jwtSecret: jwtSecret || DEV_JWT_SECRET,
    ...(jwtPreviousSecret ? { jwtPreviousSecret } : {}),
    queuePartitions: integer(env, 'QUEUE_PARTITIONS', 4, 1, 1024),
    queuePrefix,
    queueBatchMax: integer(env, 'QUEUE_BATCH_MAX', 100, 1, 1000),
    bookingWaitMs: integer(env, 'BOOKING_WAIT_MS', 10_000, 0, 600_000),
    jobLockMs: integer(env, 'JOB_LOCK_MS', 2_500, 500, 600_000),
    stalledCheckMs: integer(env, 'STALLED_CHECK_MS', 1_000, 100, 600_000),
    queueMaxWaiting: integer(env, 'QUEUE_MAX_WAITING', 5_000, 1, 10_000_000),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 6_000, 0, 100_000_000),
    rateLimitAnonymousPerMinute: integer(env, 'RATE_LIMIT_ANONYMOUS_PER_MINUTE', 60_000, 0, 100_000_000),
    loginFailuresPerAccount: integer(env, 'LOGIN_FAILURES_PER_ACCOUNT', 10, 0, 20),
    loginFailuresPerAddress: integer(env, 'LOGIN_FAILURES_PER_ADDRESS', 100, 0, 1_000_000),
    loginLockMaxSeconds: integer(env, 'LOGIN_LOCK_MAX_SECONDS', 300, 1, 3_600),
    commandsInFlightPerUser: integer(env, 'COMMANDS_IN_FLIGHT_PER_USER', 32, 0, 1_000_000),
    holdSeatsPerUser: integer(env, 'HOLD_SEATS_PER_USER', 20, 0, 100_000),
    eventsPerUserPerDay: integer(env, 'EVENTS_PER_USER_PER_DAY', 50, 0, 1_000_000),
    authRateLimitPerMinute: integer(env, 'AUTH_RATE_LIMIT_PER_MINUTE', 120, 0, 100_000_000),
    passwordHashConcurrency: integer(env, 'PASSWORD_HASH_CONCURRENCY', 2, 1, 64),
    passwordHashMaxWaiting: integer(env, 'PASSWORD_HASH_MAX_WAITING', 100, 0, 100_000),
    corsOrigins: origins(env),
    maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 1_000, 0, 600_000),
    maxHeapUsedMb: integer(env, 'MAX_HEAP_USED_MB', 120, 0, 1_000_000),
    logLevel,
    workerCount: integer(env, 'WORKERS', 2, 1, 64),
    workerMetricsPort: integer(env, 'WORKER_METRICS_PORT', 0, 0, 65535),
    metrics: onOff(env, 'METRICS', true),
    internalPort,
    internalHost: env.INTERNAL_HOST?.trim() || '127.0.0.1',
    liveMapWritesPerSecond: integer(env, 'LIVE_MAP_WRITES_PER_SECOND', 5_000, 100, 10_000_000),
    streamsPerAddress: integer(env, 'STREAMS_PER_ADDRESS', 20, 0, 1_000_000),
    streamsMax: integer(env, 'STREAMS_MAX', 10_000, 0, 10_000_000),
    retentionSeconds: integer(env, 'RETENTION_SECONDS', 86_400, 1, 10 * 366 * 86_400),
    retentionBatchSize: integer(env, 'RETENTION_BATCH_SIZE', 1_000, 1, 100_000),
  }
}

/** Runs `loadConfig`, printing a one-line reason and exiting on a bad value. */
export function loadConfigOrExit (env: Env = process.env): Config {
  try {
    return loadConfig(env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`seatline: configuration error: ${error.message}`)
    process.exit(1)
  }
}
