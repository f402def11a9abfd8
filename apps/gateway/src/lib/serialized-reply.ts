import type { FastifyReply } from 'fastify'

/** The route's own response serializer, run once: the bytes can then answer many requests. */
export function serializeOnce (reply: FastifyReply, payload: unknown): Buffer {
  const body = reply.serialize(payload) as string | Buffer
  return typeof body === 'string' ? Buffer.from(body) : body
}

/** Sends bytes from `serializeOnce`: Fastify passes a Buffer on untouched, schema already applied. */
export function sendSerialized (reply: FastifyReply, bytes: Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(bytes)
}
