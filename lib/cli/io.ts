/** What a command may touch of the outside world, injected so commands can be tested in-process. */
import type { Output } from "./display";

export interface CliIO {
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (--config, --scenario, --out) are resolved against it. */
  cwd: string;
  /**
   * Calls `handler` on SIGINT or SIGTERM; returns a function that stops listening. When
   * the handler returns true the command ends by itself; otherwise the process exits at
   * once (130 on SIGINT, 143 on SIGTERM). Without it, commands do not listen for signals.
   */
  onSignal?: (handler: (signal: "SIGINT" | "SIGTERM") => boolean | undefined) => () => void;
}
