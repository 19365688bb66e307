export const STATE_REL: string;
export type EraDoubleResult =
  | { exitCode: number; stdout: string; stderr: string; hang?: undefined }
  | { hang: number; save(): void; exitCode?: undefined; stdout?: undefined; stderr?: undefined };
export function runEraDouble(root: string, tool: string, args: readonly string[], env?: Record<string, string | undefined>): EraDoubleResult;
