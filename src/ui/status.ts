/**
 * How a search node is drawn, shared by the explorer (web/) and the demo's static report
 * (src/cli/demo/report.ts) so the two never disagree with their legends: one status per node,
 * decided in the legend's order. A rule-invalid step is "invalid" even when it also ended the
 * search as a wrong terminal; pruned comes next; then terminal verdicts; the rest are steps.
 * No imports: the web bundle takes this file as it is.
 */
export type NodeStatus = 'invalid' | 'pruned' | 'correct' | 'wrong' | 'unchecked' | 'open';

export interface StatusInput {
  valid: boolean | null;
  pruned: boolean;
  terminal: boolean;
  correct: boolean | null;
}

export function nodeStatus(n: StatusInput): NodeStatus {
  if (n.valid === false) return 'invalid';
  if (n.pruned) return 'pruned';
  if (n.terminal && n.correct === true) return 'correct';
  if (n.terminal && n.correct === false) return 'wrong';
  if (n.terminal) return 'unchecked';
  return 'open';
}

export interface StatusStyle {
  label: string;
  fill: string;
  stroke: string;
  /** SVG stroke-dasharray, or '' for a solid border. */
  dash: string;
  /** A one-character mark drawn before the step text, so the status reads without colour too. */
  mark: string;
}

/** In legend order. */
export const STATUS_STYLES: Record<NodeStatus, StatusStyle> = {
  correct: { label: 'terminal, correct', fill: '#bbf7d0', stroke: '#15803d', dash: '', mark: '✓' },
  wrong: { label: 'terminal, wrong', fill: '#fecaca', stroke: '#b91c1c', dash: '', mark: '✗' },
  unchecked: { label: 'terminal, not checked', fill: '#fde68a', stroke: '#a16207', dash: '', mark: '■' },
  open: { label: 'step (interior)', fill: '#ffffff', stroke: '#64748b', dash: '', mark: '' },
  invalid: { label: 'rule-invalid step', fill: '#d1d5db', stroke: '#4b5563', dash: '4 3', mark: '⊘' },
  pruned: { label: 'pruned', fill: '#f1f5f9', stroke: '#cbd5e1', dash: '2 2', mark: '–' },
};

export const LEGEND_ORDER: NodeStatus[] = ['correct', 'wrong', 'unchecked', 'open', 'invalid', 'pruned'];

/** The colour of the chosen path (edges and box borders). */
export const PATH_COLOUR = '#ea580c';
