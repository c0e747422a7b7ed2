/** Multi-turn training (README.md): token-exact trajectories, rollouts, SFT, GRPO family, ArCHer, MARFT. */
export { trainMultiturn, multiturnTokenizer, resolveMultiturnTask } from './pipeline.js';
export { rolloutEpisodes, solverTrajectory, episodePromptIds, type RolloutOptions } from './rollout.js';
export { TrajectoryBuilder, checkTrajectory, encodeObservation, observationIds, type Trajectory, type TurnRecord } from './trajectory.js';
export { runMultiturnSftPhase, trajectoryRows, type MultiturnSftInput } from './sft.js';
export { runMultiturnRlPhase, curriculumLevel, agentAdvantages, type MultiturnRlInput, type MultiturnRlResult } from './rl.js';
export { archerTargets, archerAdvantages, type ReplayEpisode } from './archer.js';
export { evaluateEpisodes, type EpisodeEval } from './eval.js';
export { MultiturnSectionSchema, MultiturnPipelines, type MultiturnSection, type MultiturnPipeline } from './section.js';
