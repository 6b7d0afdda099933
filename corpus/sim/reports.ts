/**
 * The machine's reports (/proc/buddyinfo, /proc/slabinfo, meminfo, ...). Subsystems register
 * a generator at import time; the runner prints them in registration order after a workload.
 */
export interface Report {
  /** Short name for --report (e.g. "buddyinfo"). */
  name: string;
  /** Heading printed above the text (e.g. "/proc/buddyinfo"). */
  title: string;
  text: () => string;
  /** Machine-readable form for --json, when it differs from the text. */
  json?: () => unknown;
  /** True when the report needs no workload run (a static table): only boot. */
  standalone?: boolean;
}

const reports: Report[] = [];

export function register_report(report: Report): void {
  const i = reports.findIndex((r) => r.name === report.name);
  if (i >= 0) reports[i] = report;
  else reports.push(report);
}

export function all_reports(): readonly Report[] {
  return reports;
}

export function find_report(name: string): Report | undefined {
  return reports.find((r) => r.name === name);
}
