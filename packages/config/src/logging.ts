import pino, { type Logger, type LoggerOptions } from 'pino'
import type { Config } from './load-config.ts'

/** Credentials never reach a log line, wherever an object carrying them is logged. */
const REDACTED = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
  'password', 'token', '*.password', '*.token', '*.passwordHash',
]

/**
 * pino options for every Seatline process: JSON lines named by service, with the process's
 * name when the launcher gave it one; pretty when a person watches a terminal in development.
 */
export function logOptions (config: Pick<Config, 'logLevel' | 'nodeEnv'>, service: 'gateway' | 'worker'): LoggerOptions {
  const pretty = process.stdout.isTTY && config.nodeEnv !== 'production'
  return {
    level: config.logLevel,
    base: { service, process: process.env.SEATLINE_PROCESS ?? service, pid: process.pid },
    redact: { paths: REDACTED, censor: '[redacted]' },
    ...(pretty && { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }),
  }
}

/**
 * The logger of a Seatline process. Lines are written asynchronously: under load many go out in
 * one write instead of one blocking write each (the bench's `observability` scenario measures
 * what logging at info costs); pino flushes what is left when the process exits.
 */
export function createLogger (config: Pick<Config, 'logLevel' | 'nodeEnv'>, service: 'gateway' | 'worker'): Logger {
  const options = logOptions(config, service)
  if (options.transport) return pino(options)
  return pino(options, pino.destination({ dest: 1, sync: false }))
}
