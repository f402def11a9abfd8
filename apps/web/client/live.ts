/**
 * Connects an event's page to its stream (GET /v1/events/:eventId/stream) and feeds a
 * Reconciler: the EventSource is opened first and its messages buffered, then the list is read.
 * The browser's EventSource reconnects by itself (sending Last-Event-ID); when the stream cannot
 * be had at all (a gateway without it, a proxy that drops it), the page reads the list every
 * few seconds instead, and tries the stream again now and then.
 */
import type { ApiClient } from './api.ts'
import { type MapUpdate, parseStreamMessage, Reconciler } from './live-map.ts'

export type LiveMode = 'connecting' | 'live' | 'reconnecting' | 'polling'

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Updating every few seconds',
}

/** An `onMode` handler that shows the mode in `element` (its text, and `data-mode` for styles). */
export function showLiveMode (element: HTMLElement): (mode: LiveMode) => void {
  return (mode) => {
    element.textContent = MODE_TEXT[mode]
    element.dataset.mode = mode
  }
}

export interface LiveHandlers {
  onUpdate: (update: MapUpdate) => void
  onMode: (mode: LiveMode) => void
  onError: (error: unknown) => void
}

export interface LiveEvent {
  reconciler: Reconciler
  /** True while the stream is delivering: commands then need no read of their own. */
  readonly streaming: boolean
  /** Reads the list again now (after a command, when not streaming). */
  refresh (): Promise<void>
  close (): void
}

const MESSAGE_TYPES = ['seats', 'sections', 'counts', 'reset'] as const
/** Wait this long for the stream to open before reading the list anyway. */
const OPEN_WAIT_MS = 3000
const STREAM_RETRY_MS = 30_000

export function connectLive (api: ApiClient, eventId: string, handlers: LiveHandlers): LiveEvent {
  // Progressive: a big event's map shows from its first page of seats on, not after the last.
  const reconciler = new Reconciler({ load: (progress) => api.snapshot(eventId, progress), progressive: true, onUpdate: handlers.onUpdate, onError: handlers.onError })
  let source: EventSource | undefined
  let streaming = false
  let closed = false
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let retryTimer: ReturnType<typeof setTimeout> | undefined

  // A big event costs many pages to read: read it less often.
  const pollMs = () => reconciler.map.seats.size > 5000 ? 15_000 : 3000

  function poll (): void {
    if (closed || streaming || pollTimer) return
    pollTimer = setTimeout(async () => {
      pollTimer = undefined
      if (closed || streaming) return
      await reconciler.reload()
      poll()
    }, pollMs())
  }

  /** Opens a stream; resolves once it is open, has failed, or has kept us waiting too long. */
  function open (): Promise<void> {
    return new Promise((resolve) => {
      const es = new EventSource(`/v1/events/${encodeURIComponent(eventId)}/stream`)
      source = es
      const timer = setTimeout(resolve, OPEN_WAIT_MS)
      const settle = () => {
        clearTimeout(timer)
        resolve()
      }
      for (const type of MESSAGE_TYPES) {
        es.addEventListener(type, (e) => {
          const message = parseStreamMessage(type, (e as MessageEvent<string>).data)
          if (message && source === es) reconciler.receive(message)
        })
      }
      es.onopen = () => {
        streaming = true
        clearTimeout(pollTimer)
        pollTimer = undefined
        handlers.onMode('live')
        settle()
      }
      es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) {
          // Refused for good (404, not an event stream): read the list instead, try later.
          streaming = false
          if (source === es) source = undefined
          handlers.onMode('polling')
          poll()
          clearTimeout(retryTimer)
          retryTimer = setTimeout(() => { if (!closed) reopen() }, STREAM_RETRY_MS)
        } else {
          // The browser reconnects by itself, with Last-Event-ID.
          streaming = false
          handlers.onMode('reconnecting')
        }
        settle()
      }
    })
  }

  /** A stream we open ourselves starts after whatever we read before: read again once it is open. */
  async function reopen (): Promise<void> {
    await open()
    if (!closed && streaming) await reconciler.reload()
  }

  handlers.onMode('connecting')
  open().then(() => closed ? undefined : reconciler.reload())

  return {
    reconciler,
    get streaming () { return streaming },
    refresh: () => reconciler.reload(),
    close () {
      closed = true
      reconciler.stop()
      source?.close()
      clearTimeout(pollTimer)
      clearTimeout(retryTimer)
    },
  }
}
