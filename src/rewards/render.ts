/**
 * Render-feedback reward for any image-to-code pair whose code is SVG: the code is rendered in
 * process (src/tasks/svg/render.ts: resvg, bounded time and memory, hostile input refused) at the
 * target's size and compared with the target picture.
 *
 *   r = 0                                                   if the SVG cannot be rendered
 *   r = w_iou·IoU + w_ssim·SSIM + w_len·R_len + w_valid     otherwise
 *
 * - IoU: pixel intersection over union of the binarised pictures (RRVF's visual-similarity reward
 *   in its simplest form; Chen et al. 2025); SSIM: Wang et al. 2004 (RLRF's pixel term compares
 *   rendered and input images; Rodriguez et al. 2025, §3.2).
 * - R_len: RLRF's code-efficiency reward, R_len = 1 − ((1/L_ref)·max(0, L − L_ref/2))², clipped to
 *   [0, 1]: no penalty up to half the reference length, then quadratic (L in characters; L_ref =
 *   the reference SVG's length, or `refLength` when the target has none).
 * - w_valid: a bonus for a renderable SVG (RLRF/RRVF give failed renders zero reward; the bonus
 *   separates "rendered but wrong" from "not an SVG" early in training).
 */
import { extractSvg, scoreSvg, type SvgTarget } from '../tasks/svg/task.js';

export interface RenderRewardOptions {
  iouWeight?: number;
  ssimWeight?: number;
  lengthWeight?: number;
  validWeight?: number;
  /** Reference length when the target has none (characters). */
  refLength?: number;
}

export interface RenderRewardResult {
  total: number;
  valid: boolean;
  iou: number;
  ssim: number;
  length: number;
  reason: string;
  ms: number;
}

/** RLRF's length reward: 1 − ((1/L_ref)·max(0, L − L_ref/2))², clipped to [0, 1]. */
export function lengthReward(length: number, refLength: number): number {
  if (!(refLength > 0)) return 1;
  const over = Math.max(0, length - refLength / 2) / refLength;
  return Math.max(0, Math.min(1, 1 - over * over));
}

/**
 * Scores a completion (or bare SVG) against a target: `target` is a bitmap text ("#"/"." rows
 * joined by "/") or a raster data URL. Never throws for bad SVG: it scores 0 with the reason.
 */
export function renderReward(completion: string, target: SvgTarget, o: RenderRewardOptions = {}): RenderRewardResult {
  const w = { iou: o.iouWeight ?? 1, ssim: o.ssimWeight ?? 0, len: o.lengthWeight ?? 0, valid: o.validWeight ?? 0 };
  const svg = extractSvg(completion);
  const s = scoreSvg(svg, target);
  if (!s.valid) return { total: 0, valid: false, iou: 0, ssim: 0, length: 0, reason: s.reason, ms: s.ms };
  const ref = target.referenceLength ?? o.refLength ?? 0;
  const length = lengthReward(svg!.length, ref);
  const total = w.iou * s.iou + w.ssim * s.ssim + w.len * length + w.valid;
  return { total, valid: true, iou: s.iou, ssim: s.ssim, length, reason: s.reason, ms: s.ms };
}

/** Reads the target from a problem's data (`{ target, referenceLength? }`); null when it has none. */
export function svgTargetOf(data: unknown): SvgTarget | null {
  if (data === null || typeof data !== 'object') return null;
  const t = (data as { target?: unknown }).target;
  if (typeof t !== 'string' || t.trim() === '') return null;
  const ref = (data as { referenceLength?: unknown }).referenceLength;
  if (ref !== undefined && !(typeof ref === 'number' && ref > 0)) return null;
  return data as SvgTarget;
}
