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
import { Matrix } from "../tensor/matrix.js";
import type { Layer } from "../layers/layer.js";
import { Dense } from "../layers/dense.js";
import { Activation } from "../layers/activation.js";
import { Dropout } from "../layers/dropout.js";
import { Flatten } from "../layers/reshape.js";

const ACTIVATIONS: Record<string, StackActivation> = {
  linear: StackActivation.Linear, sigmoid: StackActivation.Sigmoid, relu: StackActivation.Relu, softmax: StackActivation.Softmax,
};

/** The layers as Dense steps, an Activation joined to the linear Dense before it; undefined when they are not such a stack. */
export function denseSteps(layers: readonly Layer[]): DenseStep[] | undefined {
  const steps: DenseStep[] = [];
  for (const layer of layers) {
    if (layer instanceof Dropout || layer instanceof Flatten) continue;
    const last = steps.at(-1);
    if (layer instanceof Activation && last?.activation === StackActivation.Linear && layer.activation.name in ACTIVATIONS) {
      last.activation = ACTIVATIONS[layer.activation.name];
    } else if (layer instanceof Dense && layer.activation.name in ACTIVATIONS) {
      const [kernel, bias] = layer.params();
      if (kernel === undefined) return undefined;
      steps.push({ W: kernel.value.data, din: kernel.value.rows, dout: kernel.value.cols, b: bias?.value.data, activation: ACTIVATIONS[layer.activation.name] });
    } else {
      return undefined;
    }
  }
  return steps.length > 0 ? steps : undefined;
}

/** Every row's outputs at once, `batchSize` rows at a time or fewer, by the backend's stack (see above); undefined when it has none for these layers. */
export function stackOutputs(layers: readonly Layer[], x: Matrix, batchSize: number, outputs: number): Matrix | undefined {
  const steps = backend().predictStack && denseSteps(layers);
  if (steps === undefined) return undefined;
  const out = new Matrix(x.rows, outputs);
  return backend().predictStack!(out, x, steps, batchSize) ? out : undefined;
}
