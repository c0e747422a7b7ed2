/** Weights on the host, by the names listed in README.md; data is row-major float32. Shared by the
 * trainers, the samplers, checkpoints and exports, so it lives apart from all of them. */
export type HostWeights = Map<string, { shape: number[]; data: Float32Array }>;
