/**
 * The `polytomic-orchestrator` command line. Everything but the process wiring lives in
 * lib/cli (see lib/cli/main.ts).
 */
import { main } from "../lib/cli/main";

const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onSignal: (handler) => {
    const listener = (signal: NodeJS.Signals) => {
      const name = signal === "SIGTERM" ? "SIGTERM" : "SIGINT";
      if (handler(name) === true) return; // the command ends by itself
      process.exit(name === "SIGTERM" ? 143 : 130);
    };
    process.on("SIGINT", listener);
    process.on("SIGTERM", listener);
    return () => {
      process.off("SIGINT", listener);
      process.off("SIGTERM", listener);
    };
  },
});
// Exit once stdout has been flushed (a pipe may still hold the JSON report).
process.stdout.write("", () => process.exit(exitCode));
