import t from 'tap'
import { judgeAudit } from '../scripts/audit-verdict.ts'

t.test('npm audit: high or critical fails, moderate passes, an unreachable database is said and passes', async (t) => {
  const report = (vulnerabilities: Record<string, { severity: string }>) => JSON.stringify({
    vulnerabilities,
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 } },
  })
  const clean = judgeAudit(report({ 'some-lib': { severity: 'moderate' } }))
  t.equal(clean.code, 0)
  t.match(clean.lines[0], /moderate 1/)
  const bad = judgeAudit(report({ 'some-lib': { severity: 'moderate' }, fastify: { severity: 'high' }, ioredis: { severity: 'critical' } }))
  t.equal(bad.code, 1)
  t.same(bad.lines.slice(1), ['  high: fastify', '  critical: ioredis'], 'each serious finding named')
  const offline = judgeAudit(JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 }))
  t.equal(offline.code, 0)
  t.match(offline.lines[0], /could not be reached \(405 Method Not Allowed.*NOT audited/)
  t.equal(judgeAudit('npm ERR! something').code, 1, 'output that is no report fails')
})
