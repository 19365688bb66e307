/** The one list splitter (list parameters, CLI options): items separated by blanks or commas, order kept. */
export function splitList(raw: string | undefined): string[] {
  return (raw ?? '').split(/[\s,]+/).filter(Boolean);
}
