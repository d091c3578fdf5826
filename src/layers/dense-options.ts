/** Dense's options (Keras's Dense arguments, in camelCase), each checked at the door (dense.ts). */
import { optionNames } from "../tensor/names.js";
import type { ActivationName } from "./activations.js";
import type { Initializer, InitializerName } from "./initializers.js";
import type { Regularizer, RegularizerName } from "./regularizers.js";

export interface DenseOptions {
  /** Input width, for the first layer (Keras `input_dim`). */
  inputDim?: number;
  /** Input shape without the batch axis, `[784]` (Keras `input_shape`); same as inputDim. */
  inputShape?: number[];
  /** Activation applied to x·W + b; default "linear" (none). */
  activation?: ActivationName;
  /** Whether to add a bias vector; default true. */
  useBias?: boolean;
  /**
   * Kernel initializer: a name from initializers.ts ("he_normal", "heNormal", ...)
   * or a function; default "glorot_uniform" (Keras; TensorFlow.js uses glorotNormal).
   */
  kernelInitializer?: InitializerName | Initializer;
  /** Bias initializer, a name or a function; default "zeros". */
  biasInitializer?: InitializerName | Initializer;
  /** Penalty on the kernel: "l1", "l2", "l1_l2" or l2(0.001) etc.; default none. */
  kernelRegularizer?: RegularizerName | Regularizer;
  /** Penalty on the bias, as kernelRegularizer; default none. */
  biasRegularizer?: RegularizerName | Regularizer;
  /** Layer name; default "dense", "dense_1", ... */
  name?: string;
}

export const DENSE_OPTIONS = optionNames<DenseOptions>({
  inputDim: true, inputShape: true, activation: true, useBias: true, kernelInitializer: true, biasInitializer: true,
  kernelRegularizer: true, biasRegularizer: true, name: true,
});
