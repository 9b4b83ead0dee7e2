/** All ops, one module per family. */
export * from './elementwise';
export * from './reduce';
export * from './shape';
export * from './linalg';
export * from './indexing';
