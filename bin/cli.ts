/**
 * The `polytomic-orchestrator` command line. Everything but the process wiring lives in
 * lib/cli (see lib/cli/main.ts).
 */
import { ANSI } from "../lib/cli/display";
import { main, reportInternalError } from "../lib/cli/main";

const argv = process.argv.slice(2);
// An error thrown outside the command's promise (an unhandled stream "error" event, say) is
// a bug too: report it as main() reports one, not as Node's exit 1, which means "failed".
process.on("uncaughtException", (err) => {
  if (process.stdout.isTTY) process.stdout.write(ANSI.showCursor); // the live display hides it
  process.exit(reportInternalError(argv[0], err, { stderr: process.stderr, env: process.env }));
});

const exitCode = await main(argv, {
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
