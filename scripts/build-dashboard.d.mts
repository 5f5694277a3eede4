/** Builds the dashboard into `outdir` (default dist/dashboard). */
export function buildDashboard(options?: { outdir?: string }): Promise<{ outdir: string; bytes: number }>
