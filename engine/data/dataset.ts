/** The shape of a labelled data set, shared by the generators, the digits and `gl.nn.train`. */
import type { Tensor } from '../tensor';

/**
 * Examples as rows of `X` [N, features] and their labels `y` [N] (class
 * indices 0..numClasses−1, stored as float values in a tensor).
 */
export interface Dataset {
  /** Inputs, one example per row: [N, features]. */
  X: Tensor;
  /** Labels, one per row: [N]. */
  y: Tensor;
  /** Number of classes (labels are 0..numClasses−1). */
  numClasses: number;
  /** A short name (`'spiral'`, `'digits/train'`, ...). */
  name?: string;
}
