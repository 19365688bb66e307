/** POSIX shell quoting for generated scripts: bare when safe, else single quotes. */
export function shq(s: string): string {
  if (/^[A-Za-z0-9_.,:/=@%+-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
