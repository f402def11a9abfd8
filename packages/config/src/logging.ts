import type { LoggerOptions } from 'pino'
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
