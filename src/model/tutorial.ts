/**
 * The networks of the Keras tutorials purenn runs, in one place for the CLI,
 * the benchmarks and the demo. First the beginner's tutorial purenn grew from:
 *
 *   784 pixels → Dense(256) + sigmoid → Dense(128) + relu → Dense(10) + softmax
 *   weights: 784·256 + 256 + 256·128 + 128 + 128·10 + 10 = 235,146
 *
 * It is returned uncompiled; its weights come from the seeded generator.
 */
import { Sequential } from "./sequential.js";
import { Dense } from "../layers/dense.js";
import { Activation } from "../layers/activation.js";
import { Conv2D } from "../layers/conv2d.js";
import { MaxPooling2D } from "../layers/pooling.js";
import { Flatten } from "../layers/reshape.js";
import { Dropout } from "../layers/dropout.js";

export function tutorialModel(): Sequential {
  const model = new Sequential();
  model.add(new Dense(256, { inputDim: 784 }));
  model.add(new Activation("sigmoid"));
  model.add(new Dense(128));
  model.add(new Activation("relu"));
  model.add(new Dense(10));
  model.add(new Activation("softmax"));
  return model;
}

/**
 * Keras's example mnist_convnet, the tutorial's next chapter (trained there
 * with Adam, batch 128, validation_split 0.1, 15 epochs; about 0.99 on the test set):
 *
 *   28x28x1 → Conv2D(32, 3x3) + relu → (26, 26, 32) → MaxPooling2D(2) → (13, 13, 32)
 *           → Conv2D(64, 3x3) + relu → (11, 11, 64) → MaxPooling2D(2) → (5, 5, 64)
 *           → Flatten → 1600 → Dropout(0.5) → Dense(10) + softmax
 *   weights: (3·3·1·32 + 32) + (3·3·32·64 + 64) + (1600·10 + 10) = 34,826
 *
 * Uncompiled; its weights come from the seeded generator.
 */
export function convnetModel(): Sequential {
  return new Sequential([
    new Conv2D(32, { kernelSize: [3, 3], activation: "relu", inputShape: [28, 28, 1] }),
    new MaxPooling2D({ poolSize: [2, 2] }),
    new Conv2D(64, { kernelSize: [3, 3], activation: "relu" }),
    new MaxPooling2D({ poolSize: [2, 2] }),
    new Flatten(),
    new Dropout(0.5),
    new Dense(10, { activation: "softmax" }),
  ]);
}
