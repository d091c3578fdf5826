/**
 * The network of the Keras tutorial purenn grew from, in one place for the
 * CLI, the benchmarks and the demo:
 *
 *   784 pixels → Dense(256) + sigmoid → Dense(128) + relu → Dense(10) + softmax
 *   weights: 784·256 + 256 + 256·128 + 128 + 128·10 + 10 = 235,146
 *
 * It is returned uncompiled; its weights come from the seeded generator.
 */
import { Sequential } from "./sequential.js";
import { Dense } from "../layers/dense.js";
import { Activation } from "../layers/activation.js";

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
