import { createHmac } from 'node:crypto'

/** An HS256 JWT for `userId`, as the gateway would issue it: lets a benchmark skip 20,000 scrypt signups. */
export function mintToken (secret: string, userId: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: userId, iat: Math.floor(Date.now() / 1000) })}`
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
}
