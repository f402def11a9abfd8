import { request } from 'node:http'
import { connect } from 'node:net'
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
   * A held stream reads a plain socket (no HTTP parser per chunk) and so expects what the
   * gateway sends: a body that runs until the connection closes, not chunked.
   */
  held?: boolean
}

/** Turns body bytes into messages, whatever the chunk boundaries. */
function messageParser (onMessage: (message: SseMessage) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8')
  let buffer = ''
  return (chunk) => {
    buffer += decoder.write(chunk)
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = parseBlock(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      if (message) onMessage(message)
    }
  }
}

/**
 * Opens a stream with node:http rather than fetch: the bench runs thousands of these next to
 * the stack on the same cores, and Node's own streams cost it a fraction of web streams'.
 */
export function openSse (url: string, onMessage: (message: SseMessage) => void, options: SseOptions = {}): Promise<SseConnection> {
  if (options.held) return openHeld(new URL(url), onMessage, options.lastEventId)
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
      res.on('data', messageParser(onMessage))
      res.on('error', () => {})
      resolve({ status: 200, headers, ended, close, release: () => {} })
    })
    // Before the reply, a failure to connect; after it, closing: either way the promise has its answer.
    req.on('error', reject)
    req.end()
  })
}

const HEAD_END = Buffer.from('\r\n\r\n')

/** A held stream on a plain socket: the head is read at once, the body kept until `release()`. */
function openHeld (url: URL, onMessage: (message: SseMessage) => void, lastEventId: string | undefined): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 80) })
    const ended = new Promise<void>((resolve) => { socket.once('close', () => resolve()) })
    const close = () => { socket.destroy() }
    let head = Buffer.alloc(0)
    let held: Buffer[] | undefined
    let parse: ((chunk: Buffer) => void) | undefined
    socket.on('data', (chunk: Buffer) => {
      if (parse) return parse(chunk)
      if (held) return held.push(chunk)
      head = Buffer.concat([head, chunk])
      const end = head.indexOf(HEAD_END)
      if (end < 0) return
      const [statusLine = '', ...lines] = head.subarray(0, end).toString('latin1').split('\r\n')
      const headers = new Headers()
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
      }
      const status = Number(statusLine.split(' ')[1])
      if (status === 200 && headers.get('transfer-encoding')) {
        socket.destroy()
        reject(new Error(`a held stream reads a plain body, but this one is ${headers.get('transfer-encoding')}`))
        return
      }
      held = [head.subarray(end + HEAD_END.length)]
      const release = () => {
        parse = messageParser(onMessage)
        for (const kept of held ?? []) parse(kept)
        held = undefined
      }
      resolve({ status, headers, ended, close, release })
    })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.setNoDelay(true)
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\naccept: text/event-stream\r\n` +
        `${lastEventId ? `last-event-id: ${lastEventId}\r\n` : ''}connection: close\r\n\r\n`)
    })
  })
}
