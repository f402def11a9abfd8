import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { Registry } from 'prom-client'

/**
 * A process with no HTTP server of its own (a worker) serves `GET /metrics` on a port of its
 * own; anything else is a 404.
 */
export async function serveMetrics (registry: Registry, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    registry.metrics().then(
      (text) => { response.writeHead(200, { 'content-type': registry.contentType }).end(text) },
      () => { response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n') }
    )
  })
  server.listen(port, host)
  await once(server, 'listening')
  return server
}
