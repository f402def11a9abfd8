import { request } from 'node:http'
import { StringDecoder } from 'node:string_decoder'

/** A Server-Sent Events reader for tests and the bench: connect, parse, hand each message on. */
export interface SseMessage {
  id?: string
  event: string
  data: string
}

export interface SseConnection {
  status: number
  headers: Headers
  /** Resolves when the stream ends (closed by either side). */
  ended: Promise<void>
  close (): void
  /** For a connection opened `held`: parses what came meanwhile, then goes on live. */
  release (): void
}

/** Parses one message block (the lines between blank lines); undefined for comments alone. */
function parseBlock (block: string): SseMessage | undefined {
  const message: SseMessage = { event: 'message', data: '' }
  let hasData = false
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') message.id = value
    else if (field === 'event') message.event = value
    else if (field === 'data') {
      message.data += (hasData ? '\n' : '') + value
      hasData = true
    }
  }
  return hasData ? message : undefined
}

export interface SseOptions {
  lastEventId?: string
  /**
   * Keep the bytes as they come and parse nothing until `release()`. The bench's simulated
   * browsers run on the cores the stack runs on; a buyer's browser parses on the buyer's device.
   */
  held?: boolean
}

/**
 * Opens a stream with node:http rather than fetch: the bench runs thousands of these next to
 * the stack on the same cores, and Node's own streams cost it a fraction of web streams'.
 */
export function openSse (url: string, onMessage: (message: SseMessage) => void, options: SseOptions = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { accept: 'text/event-stream', ...(options.lastEventId && { 'last-event-id': options.lastEventId }) },
    }, (res) => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value)
      const close = () => { req.destroy() }
      const ended = new Promise<void>((resolve) => {
        res.once('close', resolve)
        res.once('error', () => resolve())
      })
      if (res.statusCode !== 200) {
        res.resume()
        resolve({ status: res.statusCode ?? 0, headers, ended, close, release: () => {} })
        return
      }
      const decoder = new StringDecoder('utf8')
      let buffer = ''
      let held: Buffer[] | undefined = options.held ? [] : undefined
      const parse = (chunk: Buffer) => {
        buffer += decoder.write(chunk)
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = parseBlock(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
          if (message) onMessage(message)
        }
      }
      res.on('data', (chunk: Buffer) => {
        if (held) held.push(chunk)
        else parse(chunk)
      })
      res.on('error', () => {})
      const release = () => {
        const chunks = held ?? []
        held = undefined
        for (const chunk of chunks) parse(chunk)
      }
      resolve({ status: 200, headers, ended, close, release })
    })
    // Before the reply, a failure to connect; after it, closing: either way the promise has its answer.
    req.on('error', reject)
    req.end()
  })
}
