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
    for (const flag of ["--epochs", "--batch-size", "--learning-rate", "--optimizer", "--seed", "--data-dir", "--no-download", "--verbose", "--validation-split", "--dropout", "--save", "--load", "--report", "--model"]) {
      expect(out).toContain(flag);
    }
  });

  it.each([
    [["--epochs", "abc"], /--epochs must be an integer >= 0, got "abc"/],
    [["--epochs", "1.5"], /--epochs must be an integer >= 0, got "1\.5"/],
    [["--validation-split", "1"], /--validation-split must be a number in \[0, 1\), got "1"/],
    [["--dropout", "x"], /--dropout must be a number in \[0, 1\), got "x"/],
    [["--batch-size=-3"], /--batch-size must be an integer >= 1, got "-3"/],
    [["--learning-rate", "fast"], /--learning-rate must be a number > 0, got "fast"/],
    [["--optimizer", "adamm"], /--optimizer must be one of sgd, adam, adamw, rmsprop, adagrad, got "adamm"/],
    [["--verbose", "3"], /--verbose must be 0, 1 or 2, got "3"/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["--model", "rnn"], /--model must be one of dense, cnn, got "rnn"/],
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

describe("npm start end to end, without training", () => {
  it("--model cnn --epochs 0 builds Keras's mnist_convnet with Keras's settings and evaluates it", () => {
    const { code, out, err } = cli("--model", "cnn", "--epochs", "0", "--verbose", "0", "--seed", "1");
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(/conv2d \(Conv2D\)\s+\(None, 26, 26, 32\)\s+320/);
    expect(out).toContain("Total params: 34,826");
    expect(out).toContain("optimizer adam (learning rate 0.001), batch size 128");
    expect(out).toMatch(/Test loss \d\.\d{4}, test accuracy 0\.\d{4}/);
  });

  it("--load DIR --epochs 0 evaluates a saved model on real MNIST, draws the digits and --save writes it back", async () => {
    const { mkdtemp, readdir, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { Sequential, Dense, Activation, setRandomSeed } = await import("../src/index.js");
    const dir = await mkdtemp(join(tmpdir(), "purenn-cli-"));
    try {
      setRandomSeed(1);
      const m = new Sequential([new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(128), new Activation("relu"), new Dense(10), new Activation("softmax")]);
      await m.save(join(dir, "in"));
      const { code, out, err } = cli("--load", join(dir, "in"), "--epochs", "0", "--verbose", "0", "--save", join(dir, "out"), "--seed", "3");
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toMatch(/MNIST: 60000 training and 10000 test images from .* in \d+\.\d\ds/);
      expect(out).toMatch(/Loaded the model saved in/);
      expect(out).toMatch(/Total params: 235,146/);
      expect(out).toMatch(/Test loss \d\.\d{4}, test accuracy 0\.\d{4}/);
      expect(out).toMatch(/true 7 pred \d/); // the first test digit is a 7
      expect(out).toMatch(/[▀▄█▌▐]/); // drawn with block characters
      expect((await readdir(join(dir, "out"))).sort()).toEqual(["model.json", "weights.bin"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
