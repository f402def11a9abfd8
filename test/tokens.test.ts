import { randomBytes } from 'node:crypto'
import { TOKEN_AUDIENCE, TOKEN_ISSUER, tokenKeyId } from '@seatline/config'
import t from 'tap'
import { mintToken } from '../bench/lib/tokens.ts'
import { startApp } from './harness/app.ts'

const secret = () => randomBytes(32).toString('hex')
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())

t.test('a token names its issuer, audience, secret and version, and lasts 12 hours', async (t) => {
  const current = secret()
  const gateway = await startApp({ env: { JWT_SECRET: current } })
  t.teardown(() => gateway.close())
  const user = await gateway.signup()
  const claims = claimsOf(user.token)
  t.same([claims.iss, claims.aud, claims.sub, claims.ver], [TOKEN_ISSUER, TOKEN_AUDIENCE, user.userId, 0])
  t.equal(claims.exp - claims.iat, 12 * 3600)
  t.same(headerOf(user.token), { alg: 'HS256', typ: 'JWT', kid: tokenKeyId(current) }, 'the kid names the secret without revealing it')

  const read = (token: string) => gateway.call('GET', '/v1/bookings', { token })
  t.equal((await read(mintToken(current, user.userId))).status, 200, 'a token as the gateway issues it is accepted')
  for (const [why, claims] of [
    ['another issuer', { iss: 'someone-else' }],
    ['another audience', { aud: 'another-api' }],
    ['no issuer', { iss: undefined }],
    ['no audience', { aud: undefined }],
    ['no expiry', { exp: undefined }],
    ['a version ahead of the user', { ver: 1 }],
  ] as const) {
    const reply = await read(mintToken(current, user.userId, claims))
    t.equal(reply.status, 401, `refused: ${why}`)
    t.equal(reply.body.code, 'UNAUTHENTICATED')
  }
})

t.test('rotating JWT_SECRET: tokens of the previous secret still work while JWT_PREVIOUS_SECRET names it, and only then', async (t) => {
  const [before, after, stranger] = [secret(), secret(), secret()]
  const rotating = await startApp({ env: { JWT_SECRET: after, JWT_PREVIOUS_SECRET: before } })
  t.teardown(() => rotating.close())
  const user = await rotating.signup()
  const read = (token: string) => rotating.call('GET', '/v1/bookings', { token })
  t.equal(headerOf(user.token).kid, tokenKeyId(after), 'new tokens are signed with the new secret')
  t.equal((await read(user.token)).status, 200, 'a token of the new secret works')
  t.equal((await read(mintToken(before, user.userId))).status, 200, 'a token of the previous secret still works')
  t.equal((await read(mintToken(stranger, user.userId))).status, 401, 'a token of any other secret does not')
  // The kid only picks the secret: a token that names the previous secret but is signed with another is refused.
  const mislabelled = mintToken(stranger, user.userId).split('.')
  mislabelled[0] = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: tokenKeyId(before) })).toString('base64url')
  t.equal((await read(mislabelled.join('.'))).status, 401, 'naming the previous secret is not enough')

  // The rotation over: a gateway without the previous secret refuses its tokens.
  const rotated = await startApp({ env: { JWT_SECRET: after } })
  t.teardown(() => rotated.close())
  const other = await rotated.signup()
  t.equal((await rotated.call('GET', '/v1/bookings', { token: mintToken(before, other.userId) })).status, 401, 'without JWT_PREVIOUS_SECRET the old tokens are refused')
  t.equal((await rotated.call('GET', '/v1/bookings', { token: mintToken(after, other.userId) })).status, 200)
})

t.test('sign out everywhere: every token of the user dies, this one included; a new login works', async (t) => {
  const gateway = await startApp()
  t.teardown(() => gateway.close())
  const user = await gateway.signup()
  const bystander = await gateway.signup()
  const login = async () => (await gateway.call('POST', '/v1/auth/login', { body: { email: user.email, password: 'correct horse battery' } })).body.token as string
  const [phone, laptop] = [await login(), await login()]
  const read = (token: string) => gateway.call('GET', '/v1/bookings', { token })
  t.same([(await read(phone)).status, (await read(laptop)).status, (await read(user.token)).status], [200, 200, 200], 'three sessions')

  const out = await gateway.call('POST', '/v1/auth/sign-out-everywhere', { token: laptop })
  t.equal(out.status, 204)
  t.same([(await read(phone)).status, (await read(laptop)).status, (await read(user.token)).status], [401, 401, 401], 'all three refused at once')
  t.equal((await read(bystander.token)).status, 200, "another user's session is untouched")
  const again = await login()
  t.equal(claimsOf(again).ver, 1, 'a new login carries the new version')
  t.equal((await read(again)).status, 200, 'and works')
  t.equal((await gateway.call('POST', '/v1/auth/sign-out-everywhere', { token: phone })).status, 401, 'a revoked token cannot sign out again')
  const row = await gateway.db.selectFrom('users').select('token_version').where('id', '=', user.userId).executeTakeFirstOrThrow()
  t.equal(row.token_version, 1)
})
