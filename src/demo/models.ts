/**
 * The two networks the page can train, and how each is trained (browser-safe).
 * The networks themselves are built where the CLI builds them
 * (src/model/tutorial.ts); this table adds what the page needs around them:
 *
 *   dense  tutorialModel(): 784 → Dense(256) + sigmoid → Dense(128) + relu → Dense(10) + softmax
 *          SGD, batches of 32 (the tutorial's); learning rate 0.1 by default here,
 *          ten times the tutorial's 0.01, so that one epoch in the page reads drawings well
 *   cnn    convnetModel(): Keras's mnist_convnet, 28x28x1 → Conv2D(32, 3x3) → MaxPooling2D(2)
 *          → Conv2D(64, 3x3) → MaxPooling2D(2) → Flatten → Dropout(0.5) → Dense(10) + softmax
 *          Adam at 0.001, batches of 128: Keras's settings, as `npm start -- --model cnn` uses them
 *
 * The page's drawing is a 784-value row in channels-last order, which both
 * take as it is (the CNN's first layer reads a row as a 28x28x1 image).
 */
import { SGD, Adam, tutorialModel, convnetModel, type Sequential, type Optimizer } from "../core.js";

export type PageModelName = "dense" | "cnn";

export interface PageModel {
  /** As the page's model choice says it. */
  label: string;
  /** A new, untrained network (weights from the seeded generator). */
  build(): Sequential;
  /** The optimizer's name as the CLI spells it (--optimizer), and the optimizer. */
  optimizerName: string;
  optimizer(learningRate: number): Optimizer;
  /** Samples per gradient step. */
  batchSize: number;
  /** The learning-rate field's value when this network is chosen. */
  learningRate: number;
  /** Said when the learning rate typed is not a number > 0. */
  learningRateHint: string;
}

export const PAGE_MODELS: Record<PageModelName, PageModel> = {
  dense: {
    label: "Dense (tutorial)", build: tutorialModel, optimizerName: "sgd", optimizer: (learningRate) => new SGD({ learningRate }),
    batchSize: 32, learningRate: 0.1, learningRateHint: "the tutorial's is 0.01; 0.1 learns faster here",
  },
  cnn: {
    label: "CNN (mnist_convnet)", build: convnetModel, optimizerName: "adam", optimizer: (learningRate) => new Adam({ learningRate }),
    batchSize: 128, learningRate: 0.001, learningRateHint: "Keras's mnist_convnet uses 0.001 with Adam",
  },
};

/** Whether `name` is one of the page's networks. */
export function isPageModel(name: string): name is PageModelName {
  return Object.prototype.hasOwnProperty.call(PAGE_MODELS, name);
}
