/** A Server-Sent Events reader for tests and the bench: fetch, parse, hand each message on. */
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
}

export async function openSse (url: string, onMessage: (message: SseMessage) => void, options: { lastEventId?: string } = {}): Promise<SseConnection> {
  const abort = new AbortController()
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(options.lastEventId && { 'last-event-id': options.lastEventId }) },
    signal: abort.signal,
  })
  const close = () => abort.abort()
  if (res.status !== 200 || !res.body) return { status: res.status, headers: res.headers, ended: Promise.resolve(), close }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  const ended = (async () => {
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += value
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const message: SseMessage = { event: 'message', data: '' }
          let hasData = false
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue
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
          if (hasData) onMessage(message)
        }
      }
    } catch {
      // Aborted, or the connection dropped: the stream has ended either way.
    }
  })()
  return { status: res.status, headers: res.headers, ended, close }
}
