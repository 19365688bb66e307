/** The cluster lab's matrix (issue 15: 100 switchovers and 20 power-offs), as the run's scenario list. */

/** S switchovers with P power-offs spread among them: one power-off after every S/P switchovers. */
export function matrixScenarios(spec: string): string[] {
  const m = /^(\d+),(\d+)$/.exec(spec);
  if (!m) throw new Error(`--matrix wants S,P (switchovers,power-offs), got ${spec}`);
  const [s, p] = [Number(m[1]), Number(m[2])];
  const every = p > 0 ? Math.max(1, Math.floor(s / p)) : 0;
  const out: string[] = [];
  let offs = 0;
  for (let i = 1; i <= s; i++) {
    out.push('switchover');
    if (every && i % every === 0 && offs < p) { out.push('poweroff'); offs++; }
  }
  for (; offs < p; offs++) out.push('poweroff');
  return out;
}
