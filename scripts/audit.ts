/**
 * `npm run audit`: the packages Seatline runs with (not the dev tools) checked against npm's
 * advisory database; exits 1 on any high or critical finding. Where the database cannot be
 * reached (an offline mirror answers 405), it says so and exits 0: nothing was checked, and the
 * log shows it rather than passing in silence.
 */
import { execFile } from 'node:child_process'
import { judgeAudit } from './audit-verdict.ts'

const output = await new Promise<string>((resolve) => {
  // npm audit exits non-zero on findings too: the report says which.
  execFile('npm', ['audit', '--omit=dev', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout) => resolve(stdout))
})
const verdict = judgeAudit(output)
for (const line of verdict.lines) (verdict.code ? console.error : console.log)(line)
process.exit(verdict.code)
