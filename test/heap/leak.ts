// Child of test/heap.test.ts (run with --expose-gc): trains 100 fresh models one
// after another and prints the heap's bytes in use after each 10, as JSON.
import { Sequential, Dense, Activation, setRandomSeed, Matrix } from "../../src/index.js";
import { heapStats } from "../../src/tensor/heap.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const x = new Matrix(64, 50), y = new Matrix(64, 3);
for (let i = 0; i < 64; i++) { x.data[i * 50 + (i % 50)] = 1; y.data[i * 3 + (i % 3)] = 1; }
const inUse: number[] = [];
for (let run = 1; run <= 100; run++) {
  setRandomSeed(run);
  const model = new Sequential([new Dense(200, { inputDim: 50 }), new Activation("relu"), new Dense(3), new Activation("softmax")]);
  model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  if (run % 10 === 0) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10)); // FinalizationRegistry callbacks run after a turn
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    inUse.push(heapStats().bytesInUse);
  }
}
console.log(JSON.stringify({ inUse, reserved: heapStats().bytesReserved }));
