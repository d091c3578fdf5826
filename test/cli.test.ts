// The command line's own checks: these fail before MNIST is loaded, so they are quick.
// (A full `npm start` run trains for minutes; it is checked by hand and in the closing notes.)
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(tsx, ["src/cli.ts", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("npm start's options", () => {
  it("--help lists every option", () => {
    const { code, out } = cli("--help");
    expect(code).toBe(0);
    for (const flag of ["--epochs", "--batch-size", "--learning-rate", "--optimizer", "--seed", "--data-dir", "--no-download", "--verbose"]) {
      expect(out).toContain(flag);
    }
  });

  it.each([
    [["--epochs", "abc"], /--epochs must be an integer >= 1, got "abc"/],
    [["--epochs", "0"], /--epochs must be an integer >= 1, got "0"/],
    [["--batch-size=-3"], /--batch-size must be an integer >= 1, got "-3"/],
    [["--learning-rate", "fast"], /--learning-rate must be a number > 0, got "fast"/],
    [["--optimizer", "adamm"], /--optimizer must be one of sgd, got "adamm"/],
    [["--verbose", "3"], /--verbose must be 0, 1 or 2, got "3"/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
  ])("%j: one line on stderr, exit code 2", (args, message) => {
    const { code, err } = cli(...args);
    expect(code).toBe(2);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(message);
  });

  it("a data folder without MNIST: a clear error, exit code 1", () => {
    const { code, err } = cli("--data-dir", "/nonexistent-purenn", "--no-download");
    expect(code).toBe(1);
    expect(err).toMatch(/could not load MNIST from the folder \/nonexistent-purenn/);
  });
});
