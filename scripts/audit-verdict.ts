export interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> }
  vulnerabilities?: Record<string, { severity: string }>
  message?: string
  error?: { summary?: string }
}

export interface AuditVerdict {
  /** Exit code: 1 on a high or critical finding, or on output that is no report. */
  code: 0 | 1
  lines: string[]
}

/** What `npm audit --json` printed, judged: high and critical findings fail; an unreachable database is said, not failed. */
export function judgeAudit (output: string): AuditVerdict {
  let report: AuditReport
  try {
    report = JSON.parse(output) as AuditReport
  } catch {
    return { code: 1, lines: [`npm audit printed no report: ${output.slice(0, 300)}`] }
  }
  const counts = report.metadata?.vulnerabilities
  if (!counts) {
    return { code: 0, lines: [`npm audit: the advisory database could not be reached (${report.message ?? report.error?.summary ?? 'no reason given'}); dependencies NOT audited`] }
  }
  const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
  return {
    code: serious.length > 0 ? 1 : 0,
    lines: [
      `npm audit (runtime dependencies): ${Object.entries(counts).map(([level, n]) => `${level} ${n}`).join(', ')}`,
      ...serious.map(([name, v]) => `  ${v.severity}: ${name}`),
    ],
  }
}
