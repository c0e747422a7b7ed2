export * from './functions.js';
export * from './registry.js';
export { renderReward, lengthReward, svgTargetOf, type RenderRewardOptions, type RenderRewardResult } from './render.js';
export { ContrastiveGoalReward, contrastiveReward, type ContrastiveMode } from './contrastive.js';
export {
  GenerativeJudge,
  openGenrmJudge,
  teacherCritique,
  parseJudgement,
  judgePrompt,
  genrmRules,
  type Judgement,
  type Verdict,
} from './genrm/index.js';
