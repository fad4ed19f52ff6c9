#!/usr/bin/env node
/**
 * The `polytomic-orchestrator` executable: runs bin/cli.ts with the project's own tsx on
 * the project's pinned Node 24 (node_modules/node), whatever Node and working directory
 * it is started from. A `.ts` file cannot be a bin by itself: its shebang would need a tsx
 * on the PATH, and Node alone cannot resolve the extensionless imports.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const pinned = path("../node_modules/node/bin/node");
const node = existsSync(pinned) ? pinned : process.execPath;
const child = spawn(
  node,
  [path("../node_modules/tsx/dist/cli.mjs"), path("cli.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
// Ctrl-C reaches the whole process group; a SIGTERM sent to this process alone is passed on.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("error", (error) => {
  console.error(`polytomic-orchestrator: cannot start ${node}: ${error.message}`);
  process.exit(2);
});
child.on("exit", (code, signal) => {
  if (signal !== null) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
