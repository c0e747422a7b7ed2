/**
 * `svg-render`: inverse rendering as a text task (the setting of RLRF, Rodriguez et al. 2025,
 * "Rendering-Aware Reinforcement Learning for Vector Graphics Generation", and RRVF, Chen et al.
 * 2025, "Learning Only with Images: Visual Reinforcement Learning with Reasoning, Rendering, and
 * Visual Feedback"), sized for a character-level policy: the target picture is a small bitmap
 * written as characters (`..##..../..##..../........`, rows joined by "/"), the policy writes an SVG,
 * and the verifier renders it (render.ts, resvg in process) and compares it with the target:
 * score = pixel IoU, correct = IoU 1 (the picture reproduced exactly).
 *
 * Problems are generated (seeded; the test split's bitmaps are removed from train): the union of
 * axis-aligned rectangles on a grid. Levels: easy = one rectangle on 8×8, medium (`svg-render`) =
 * one or two on 8×8, hard = two or three on 10×10. Plain prompts are `<bitmap>|`; the solver's trace
 * is one SVG line per step: `<svg viewBox="0 0 8 8">`, one `<rect .../>` per rectangle, `</svg>`.
 *
 * `verify` also takes problems from elsewhere (the reward service): `data.target` is the bitmap
 * text or a `data:image/png;base64,...` URL (any raster picture; ink = darkness on white).
 */
import { usageError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { ChatMessage } from '../../models/types.js';
import { checkSplit } from '../splits.js';
import type { LoadOptions, Problem, StepCheck, Task, TaskMeta, VerifyResult } from '../types.js';
import { type InkImage, blankImage, imageFromText, imageToText, pixelIoU, ssim } from './image.js';
import { imageFromDataUrl, renderSvg } from './render.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SvgTarget {
  /** The bitmap text ("#" ink, "." paper, rows joined by "/") or a raster data URL. */
  target: string;
  /** Length of a reference SVG (RLRF's length term), when known. */
  referenceLength?: number;
}

export interface SvgRenderData extends SvgTarget {
  width: number;
  height: number;
  rects: Rect[];
  level: SvgLevel;
}

export type SvgProblem = Problem & { answer: string; data: SvgRenderData };

export const SVG_LEVELS = ['easy', 'medium', 'hard'] as const;
export type SvgLevel = (typeof SVG_LEVELS)[number];

const LEVEL_SHAPES: Record<SvgLevel, { side: number; min: number; max: number; maxSize: number }> = {
  easy: { side: 8, min: 1, max: 1, maxSize: 6 },
  medium: { side: 8, min: 1, max: 2, maxSize: 5 },
  hard: { side: 10, min: 2, max: 3, maxSize: 5 },
};

/** The SVG a solver writes for a set of rectangles, one line per element. */
export function svgLines(width: number, height: number, rects: readonly Rect[]): string[] {
  return [
    `<svg viewBox="0 0 ${width} ${height}">`,
    ...rects.map((r) => `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}"/>`),
    '</svg>',
  ];
}

export function rasterizeRects(width: number, height: number, rects: readonly Rect[]): InkImage {
  const img = blankImage(width, height);
  for (const r of rects) for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) img.ink[y * width + x] = 1;
  return img;
}

export function generateSvgProblem(rng: Rng, level: SvgLevel): SvgRenderData {
  const spec = LEVEL_SHAPES[level];
  const n = spec.min + Math.floor(rng.next() * (spec.max - spec.min + 1));
  const rects: Rect[] = [];
  for (let i = 0; i < n; i++) {
    const w = 1 + Math.floor(rng.next() * spec.maxSize);
    const h = 1 + Math.floor(rng.next() * spec.maxSize);
    const x = Math.floor(rng.next() * (spec.side - w + 1));
    const y = Math.floor(rng.next() * (spec.side - h + 1));
    rects.push({ x, y, w, h });
  }
  rects.sort((a, b) => a.y - b.y || a.x - b.x || a.w - b.w || a.h - b.h);
  const target = imageToText(rasterizeRects(spec.side, spec.side, rects));
  const referenceLength = svgLines(spec.side, spec.side, rects).join('\n').length;
  return { width: spec.side, height: spec.side, rects, level, target, referenceLength };
}

/**
 * The SVG in a completion: the last `<svg ...>` through its `</svg>` (or a self-closed `<svg .../>`);
 * null when there is none or it is not closed (an unfinished picture is no answer yet, so a chain
 * of one element per line is not cut at its first line).
 */
export function extractSvg(text: string): string | null {
  const lower = text.toLowerCase();
  let from = lower.lastIndexOf('<svg');
  // `<svgfoo` is not an <svg> element: look further left (lastIndexOf with a negative start would
  // find position 0 again, so position 0 ends the search).
  while (from >= 0 && !/[\s>/]/.test(lower[from + 4] ?? '')) from = from === 0 ? -1 : lower.lastIndexOf('<svg', from - 1);
  if (from < 0) return null;
  const end = lower.indexOf('</svg>', from);
  if (end >= 0) return text.slice(from, end + 6).trim();
  const selfClosed = /^<svg\b[^<>]*\/>/i.exec(text.slice(from));
  return selfClosed ? selfClosed[0] : null;
}

const targetCache = new WeakMap<object, InkImage>();

/** The target picture of a problem's data (bitmap text or raster data URL); throws a message when unreadable. */
export function targetImage(data: SvgTarget): InkImage {
  const hit = targetCache.get(data);
  if (hit) return hit;
  const t = data.target.trim();
  const img = t.startsWith('data:') ? imageFromDataUrl(t) : imageFromText(t);
  targetCache.set(data, img);
  return img;
}

export interface RenderScore {
  /** The SVG rendered within the limits. */
  valid: boolean;
  iou: number;
  ssim: number;
  reason: string;
  ms: number;
}

/** Renders `svg` at the target's size and compares; an SVG that cannot be drawn scores 0 with the reason. */
export function scoreSvg(svg: string | null, data: SvgTarget): RenderScore {
  if (svg === null || svg.trim() === '') return { valid: false, iou: 0, ssim: 0, reason: 'no <svg> in the completion', ms: 0 };
  const target = targetImage(data);
  const out = renderSvg(svg, target.width, target.height);
  if (!out.ok) return { valid: false, iou: 0, ssim: 0, reason: out.reason, ms: out.ms };
  const iou = pixelIoU(out.image, target);
  const s = ssim(out.image, target);
  return { valid: true, iou, ssim: s, reason: `IoU ${iou.toFixed(3)}, SSIM ${s.toFixed(3)}`, ms: out.ms };
}

function levelOf(name: string): SvgLevel {
  if (name === 'svg-render') return 'medium';
  const lv = name.slice('svg-render:'.length);
  if (!(SVG_LEVELS as readonly string[]).includes(lv))
    throw usageError(`unknown level "${lv}" for task svg-render; valid levels: ${SVG_LEVELS.join(', ')}`);
  return lv as SvgLevel;
}

const SPLITS = ['train', 'test'] as const;

export function makeSvgRenderTask(name = 'svg-render'): Task<SvgProblem> {
  const level = levelOf(name);
  const sizes = { train: 10_000, test: 500 };
  const generate = (stream: string, count: number, seed: number, exclude: Set<string>): SvgRenderData[] => {
    const rng = new Rng(seed).fork(`${name}/${stream}`);
    const out: SvgRenderData[] = [];
    const seen = new Set<string>();
    for (let tries = 0; out.length < count && tries < count * 50 + 1000; tries++) {
      const d = generateSvgProblem(rng, level);
      if (seen.has(d.target) || exclude.has(d.target)) continue;
      seen.add(d.target);
      out.push(d);
    }
    return out;
  };
  const meta: TaskMeta = { source: { kind: 'generated' }, verifier: 'render (resvg, pixel IoU)', splitSizes: sizes };
  const question = (d: SvgRenderData) =>
    `Write an SVG (viewBox 0 0 ${d.width} ${d.height}, black shapes on white) that draws this ${d.width}×${d.height} bitmap, ` +
    `given row by row from the top ("#" = ink, "." = paper, rows separated by "/"):\n${d.target}`;
  return {
    name,
    description: `SVG from a bitmap given as characters; reward = pixel IoU of the rendered SVG (level ${level})`,
    splits: SPLITS,
    verifierNeedsAnswer: false,
    chatStepStop: ['\n'],
    meta,
    async problems(o: LoadOptions) {
      checkSplit(name, SPLITS, o.split);
      const seed = o.seed ?? 0;
      const testCount = o.split === 'test' ? (o.limit ?? sizes.test) : sizes.test;
      const test = generate('test', testCount, seed, new Set());
      const data = o.split === 'test' ? test : generate('train', o.limit ?? sizes.train, seed, new Set(test.map((d) => d.target)));
      return data.map((d, i) => ({
        id: `${name}/${o.split}/${seed}/${i}`,
        question: question(d),
        answer: svgLines(d.width, d.height, d.rects).join('\n'),
        data: d,
      }));
    },
    renderPlain: (p, steps = []) => `${p.data.target}|${steps.map((s) => `${s}\n`).join('')}`,
    renderChat(p, steps = []): ChatMessage[] {
      const msgs: ChatMessage[] = [
        { role: 'system', content: 'You write SVG code. Answer with one <svg> element and nothing else.' },
        { role: 'user', content: question(p.data) },
      ];
      if (steps.length) msgs.push({ role: 'assistant', content: steps.map((s) => `${s}\n`).join('') });
      return msgs;
    },
    extractAnswer: (text) => extractSvg(text),
    async verify(answer, p): Promise<VerifyResult> {
      const s = scoreSvg(answer, p.data);
      return {
        correct: s.valid && s.iou === 1,
        verdict: !s.valid ? 'unparseable' : s.iou === 1 ? 'correct' : 'wrong',
        score: s.iou,
        extracted: answer,
        details: s.reason,
      };
    },
    sameAnswer: (a, b) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim(),
    checkStep(p, steps): StepCheck {
      const last = (steps[steps.length - 1] ?? '').trim();
      if (steps.length === 1 && !/^<svg[\s>]/i.test(last)) return { valid: false, terminal: false, reason: 'the first line opens <svg>' };
      if (/^<\/svg>$/i.test(last)) return { valid: true, terminal: true, answer: steps.map((s) => s.trim()).join('\n') };
      if (steps.length > 1 && !/^<[a-z][^<>]*\/>$/i.test(last)) return { valid: false, terminal: false, reason: 'one element per line' };
      return { valid: true, terminal: false };
    },
    solve: (p) => svgLines(p.data.width, p.data.height, p.data.rects),
  };
}

const cache = new Map<string, Task<SvgProblem>>();

/** `svg-render` (medium), `svg-render:easy`, `svg-render:hard`. */
export function svgRenderTask(name = 'svg-render'): Task<SvgProblem> {
  let t = cache.get(name);
  if (!t) {
    t = makeSvgRenderTask(name);
    cache.set(name, t);
  }
  return t;
}
