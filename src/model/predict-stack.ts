/**
 * Inference's short way (predict, evaluate): a model whose layers are Dense, Activation, Dropout and
 * Flatten (the last two pass their input through at inference) is a stack of steps
 * a = f(a·W + b), f linear, sigmoid, relu or softmax, which the backend may run
 * a block of rows at a time, several blocks at once (tensor/dense-stack.ts).
 * Any other model, or a backend without that way, runs its layers batch by
 * batch (trainer.ts: forEachBatch), with the same outputs.
 */
import { backend } from "../tensor/backend.js";
import { StackActivation, type DenseStep } from "../tensor/dense-stack.js";
import { workspace, type Matrix } from "../tensor/matrix.js";
import type { Layer } from "../layers/layer.js";
import { Dense } from "../layers/dense.js";
import { Activation } from "../layers/activation.js";
import { Dropout } from "../layers/dropout.js";
import { Flatten } from "../layers/reshape.js";

const STACK_ACTIVATIONS: Record<string, StackActivation> = {
  linear: StackActivation.Linear, sigmoid: StackActivation.Sigmoid, relu: StackActivation.Relu, softmax: StackActivation.Softmax,
};

/** The layers as Dense steps, an Activation joined to the linear Dense before it; undefined when they are not such a stack. */
export function denseSteps(layers: readonly Layer[]): DenseStep[] | undefined {
  const steps: DenseStep[] = [];
  for (const layer of layers) {
    if (layer instanceof Dropout || layer instanceof Flatten) continue;
    const name = layer instanceof Dense || layer instanceof Activation ? layer.activation.name : "";
    if (!Object.hasOwn(STACK_ACTIVATIONS, name)) return undefined;
    const last = steps.at(-1), activation = STACK_ACTIVATIONS[name];
    if (layer instanceof Activation) {
      if (last?.activation !== StackActivation.Linear) return undefined;
      last.activation = activation;
    } else {
      const [kernel, bias] = layer.params();
      if (kernel === undefined) return undefined;
      steps.push({ W: kernel.value.data, din: kernel.value.rows, dout: kernel.value.cols, b: bias?.value.data, activation });
    }
  }
  return steps.length > 0 ? steps : undefined;
}

/** Each model's outputs buffer, sized on first use and kept (as its training buffers are, trainer.ts). */
const outputs = new WeakMap<readonly Layer[], Matrix>();

/**
 * Every row's outputs at once, `batchSize` rows at a time or fewer, by the backend's stack (see above),
 * in a buffer kept for the next call; undefined when the backend has none for these layers.
 */
export function stackOutputs(layers: readonly Layer[], x: Matrix, batchSize: number, width: number): Matrix | undefined {
  const steps = backend().predictStack && denseSteps(layers);
  if (steps === undefined) return undefined;
  const out = workspace(outputs.get(layers), x.rows, width);
  outputs.set(layers, out);
  return backend().predictStack!(out, x, steps, batchSize) ? out : undefined;
}
