/** Data: IDX files, MNIST, one-hot labels. (Node-only but for categorical.ts and art.ts.) */
export { parseIdx, readIdx, writeIdx, type IdxArray, type IdxData } from "./idx.js";
export { loadMnist, MNIST_FILES, MNIST_MIRRORS, type MnistOptions, type Mnist } from "./mnist.js";
export { toCategorical } from "./categorical.js";
