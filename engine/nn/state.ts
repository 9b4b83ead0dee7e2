/** Saving a model's parameters to a JSON file and loading them back (e.g. after a kernel restart). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from '../errors';
import { Module, type StateDict } from './module';

/** The file format: a version, when and what was saved, and the state dict. */
export interface SavedModel {
  format: 'gradlab.stateDict';
  version: 1;
  savedAt: string;
  /** The model's kind and name, for the reader. */
  model: string;
  state: StateDict;
}

/**
 * Write `model.stateDict()` to `file` as JSON (folders are created). float64
 * values round-trip exactly: JSON keeps 17 significant digits.
 */
export function save(model: Module, file: string): void {
  if (!(model instanceof Module)) fail('save: the first argument must be a model');
  if (typeof file !== 'string' || file === '') fail('save: give a file path');
  const doc: SavedModel = {
    format: 'gradlab.stateDict',
    version: 1,
    savedAt: new Date().toISOString(),
    model: model.toString().split('\n')[0],
    state: model.stateDict(),
  };
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(doc));
}

/**
 * Load parameters saved by {@link save} into `model` (which must have the same
 * layers: build it the same way first). Returns the model.
 */
export function load<M extends Module>(model: M, file: string): M {
  if (!(model instanceof Module)) fail('load: the first argument must be a model');
  let doc: SavedModel;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedModel;
  } catch (e) {
    fail(`load: cannot read '${file}': ${(e as Error).message}`);
  }
  if (!doc || doc.format !== 'gradlab.stateDict' || !doc.state) fail(`load: '${file}' is not a file written by gl.nn.save`);
  if (doc.version !== 1) fail(`load: '${file}' has format version ${String(doc.version)}; this gradlab reads version 1`);
  return model.loadStateDict(doc.state);
}
