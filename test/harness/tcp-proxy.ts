/**
 * A loopback TCP proxy a test puts between the stack and a backing service (Postgres), so it
 * can cut the stack off and let it back in while the service itself keeps running.
 */
import { once } from 'node:events'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { freePort } from './free-port.ts'

export interface TcpTarget {
  host: string
  port: number
}

export interface TcpProxy {
  readonly host: string
  readonly port: number
  readonly target: TcpTarget
  /** Client connections currently relayed. */
  readonly openConnections: number
  /** True between `cut()` and `restore()`. */
  readonly isCut: boolean
  /** The same URL (postgres://…, redis://…) with its host and port replaced by the proxy's. */
  urlFor (url: string): string
  /** Drops every open connection and refuses new ones (the port stops listening). */
  cut (): Promise<void>
  /** Listens again, on the same port, after `cut()`. */
  restore (): Promise<void>
  /** Drops every open connection but keeps accepting new ones. */
  terminateAll (): void
  close (): Promise<void>
}

function parseTarget (target: string | TcpTarget): TcpTarget {
  if (typeof target !== 'string') return target
  const url = new URL(target)
  const port = Number(url.port) || (url.protocol.startsWith('redis') ? 6379 : 5432)
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port }
}

/** Starts a proxy to `target`: `{ host, port }` or a URL to take them from. */
export async function startTcpProxy (target: string | TcpTarget, options: { port?: number } = {}): Promise<TcpProxy> {
  const to = parseTarget(target)
  const host = '127.0.0.1'
  const port = options.port ?? await freePort()
  const pairs = new Set<{ client: Socket, upstream: Socket }>()
  let server: Server | undefined
  let closed = false

  function relay (client: Socket): void {
    const upstream = createConnection({ host: to.host, port: to.port })
    const pair = { client, upstream }
    pairs.add(pair)
    // Either side failing or closing ends both: the other side sees what a dead peer looks like.
    const end = () => {
      if (!pairs.delete(pair)) return
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true)
      socket.on('error', end)
      socket.on('close', end)
    }
    client.pipe(upstream)
    upstream.pipe(client)
  }

  async function listen (): Promise<void> {
    // A connection the kernel accepted just before a cut still arrives: refuse it too.
    const next: Server = createServer((client) => next === server ? relay(client) : client.destroy())
    next.listen(port, host)
    await Promise.race([once(next, 'listening'), once(next, 'error').then(([error]) => { throw error })])
    server = next
  }

  function terminateAll (): void {
    for (const { client, upstream } of [...pairs]) {
      client.destroy()
      upstream.destroy()
    }
    pairs.clear()
  }

  async function cut (): Promise<void> {
    const current = server
    server = undefined
    if (current) {
      const closing = new Promise((resolve) => current.close(resolve))
      terminateAll()
      await closing
    } else {
      terminateAll()
    }
  }

  await listen()

  return {
    host,
    port,
    target: to,
    get openConnections () {
      return pairs.size
    },
    get isCut () {
      return server === undefined && !closed
    },
    urlFor (url) {
      const parsed = new URL(url)
      parsed.hostname = host
      parsed.port = String(port)
      return parsed.toString()
    },
    cut,
    async restore () {
      if (closed) throw new Error('the proxy is closed')
      if (!server) await listen()
    },
    terminateAll,
    async close () {
      closed = true
      await cut()
    },
  }
}
