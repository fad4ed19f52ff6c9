/** The command line in-process (lib/cli/main.ts), its output captured: for tests. */
import type { Output } from "../../lib/cli/display";
import { main } from "../../lib/cli/main";

/** An output stream that keeps what is written. */
export class Capture implements Output {
  text = "";
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `main(args)` in `cwd` with exactly `env` as the environment. */
export async function runMain(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr, env, cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
