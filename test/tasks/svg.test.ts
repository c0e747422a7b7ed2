/**
 * The svg-render task and its renderer: pictures as characters, pixel IoU and SSIM, the solver's
 * SVG rendered by resvg reproduces every held-out target, raster targets (PNG data URLs) decode,
 * and hostile SVG (huge sizes, external references, entity bombs, deep nesting, use chains,
 * filters) is refused cleanly within bounded time and memory.
 */
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { getTask } from '../../src/tasks/registry.js';
import { imageFromText, imageToText, pixelIoU, ssim } from '../../src/tasks/svg/image.js';
import { renderSvg, screenSvg } from '../../src/tasks/svg/render.js';
import { type SvgProblem, extractSvg, rasterizeRects, scoreSvg } from '../../src/tasks/svg/task.js';

const NS = 'xmlns="http://www.w3.org/2000/svg"';

describe('images as characters', () => {
  it('round-trips the text form and rejects malformed bitmaps with a message', () => {
    const text = '#..#/.##./....';
    const img = imageFromText(text);
    expect([img.width, img.height]).toEqual([4, 3]);
    expect(imageToText(img)).toBe(text);
    expect(() => imageFromText('#../##')).toThrow(/row 2 has 2 characters/);
    expect(() => imageFromText('#x#')).toThrow(/only "#"/);
    expect(() => imageFromText('')).toThrow(/empty/);
  });

  it('IoU and SSIM: 1 for the same picture, lower as pictures differ', () => {
    const a = rasterizeRects(8, 8, [{ x: 1, y: 1, w: 4, h: 4 }]);
    const b = rasterizeRects(8, 8, [{ x: 2, y: 1, w: 4, h: 4 }]);
    const c = rasterizeRects(8, 8, [{ x: 6, y: 6, w: 2, h: 2 }]);
    expect(pixelIoU(a, a)).toBe(1);
    expect(pixelIoU(a, b)).toBeCloseTo(12 / 20, 12);
    expect(pixelIoU(a, c)).toBe(0);
    expect(ssim(a, a)).toBeCloseTo(1, 12);
    expect(ssim(a, b)).toBeLessThan(1);
    expect(ssim(a, c)).toBeLessThan(ssim(a, b));
  });
});

describe('svg-render task', () => {
  const task = getTask<SvgProblem>('svg-render');

  it('generates seeded splits with the test targets kept out of train', async () => {
    const test = await task.problems({ split: 'test', limit: 200 });
    const again = await task.problems({ split: 'test', limit: 200 });
    expect(again.map((p) => p.data.target)).toEqual(test.map((p) => p.data.target));
    const train = await task.problems({ split: 'train', limit: 2000 });
    const held = new Set(test.map((p) => p.data.target));
    expect(train.some((p) => held.has(p.data.target))).toBe(false);
    expect(new Set(train.map((p) => p.data.target)).size).toBe(train.length);
    const easy = await getTask<SvgProblem>('svg-render:easy').problems({ split: 'test', limit: 20 });
    expect(easy.every((p) => p.data.rects.length === 1)).toBe(true);
    const hard = await getTask<SvgProblem>('svg-render:hard').problems({ split: 'test', limit: 20 });
    expect(hard.every((p) => p.data.width === 10 && p.data.rects.length >= 2)).toBe(true);
    expect(() => getTask('svg-render:nope')).toThrow(/valid levels: easy, medium, hard/);
  });

  it("the solver's SVG, rendered by resvg, reproduces every held-out target (IoU 1)", async () => {
    const test = await task.problems({ split: 'test', limit: 200 });
    for (const p of test) {
      const text = task.renderPlain(p, task.solve!(p)!);
      expect(text.startsWith(`${p.data.target}|<svg`)).toBe(true);
      const v = await task.verify(task.extractAnswer(text, p), p);
      expect(v, p.id).toMatchObject({ correct: true, verdict: 'correct', score: 1 });
    }
  });

  it('grades partial pictures by IoU, wrong pictures as wrong, and non-SVG as unparseable', async () => {
    const [p] = await task.problems({ split: 'test', limit: 1 });
    const full = '<svg viewBox="0 0 8 8"><rect x="0" y="0" width="8" height="8"/></svg>';
    const ink = imageFromText(p.data.target).ink.reduce((a, b) => a + b, 0);
    const v = await task.verify(full, p);
    expect(v.verdict).toBe('wrong');
    expect(v.score).toBeCloseTo(ink / 64, 6);
    expect(await task.verify(null, p)).toMatchObject({ verdict: 'unparseable', score: 0 });
    expect(await task.verify('<svg viewBox="0 0 8 8"><rect', p)).toMatchObject({ verdict: 'unparseable', score: 0 });
  });

  it('extracts the last <svg> element and checks one element per line', async () => {
    expect(extractSvg('think... <svg a="1"></svg> then <svg viewBox="0 0 8 8"><rect/></svg> done')).toBe(
      '<svg viewBox="0 0 8 8"><rect/></svg>',
    );
    expect(extractSvg('no picture')).toBeNull();
    // A sampled completion may start with "<svg" glued to other text: no element, and no endless search.
    expect(extractSvg('<svgv viewBox="0 0 8 8"></svg>')).toBeNull();
    expect(extractSvg('<svg"<svg>')).toBeNull();
    expect(extractSvg('<svgfoo> <svg>x</svg>')).toBe('<svg>x</svg>');
    expect(extractSvg('<svg viewBox="0 0 8 8">')).toBeNull(); // not finished: no answer yet
    expect(extractSvg('a <svg viewBox="0 0 8 8"/> b')).toBe('<svg viewBox="0 0 8 8"/>');
    const [p] = await task.problems({ split: 'test', limit: 1 });
    expect(task.checkStep!(p, ['<rect/>']).valid).toBe(false);
    expect(task.checkStep!(p, ['<svg viewBox="0 0 8 8">', '<rect x="1"/>'])).toMatchObject({ valid: true, terminal: false });
    expect(task.checkStep!(p, ['<svg viewBox="0 0 8 8">', '</svg>'])).toMatchObject({ valid: true, terminal: true });
  });
});

describe('raster targets', () => {
  it('a PNG data URL decodes to the same picture as its bitmap', () => {
    const rects = [
      { x: 1, y: 2, w: 3, h: 4 },
      { x: 5, y: 0, w: 2, h: 2 },
    ];
    const svg = `<svg ${NS} width="8" height="8">${rects.map((r) => `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}"/>`).join('')}</svg>`;
    const png = new Resvg(svg, { background: 'white' }).render().asPng();
    const target = { target: `data:image/png;base64,${png.toString('base64')}` };
    const s = scoreSvg(svg, target);
    expect(s).toMatchObject({ valid: true, iou: 1 });
    expect(imageToText(rasterizeRects(8, 8, rects))).toBe(imageToText(renderOk(svg, 8, 8)));
    expect(() => scoreSvg(svg, { target: 'data:image/png;base64,AAAA' })).toThrow(/size/);
  });
});

function renderOk(svg: string, w: number, h: number) {
  const r = renderSvg(svg, w, h);
  if (!r.ok) throw new Error(r.reason);
  return r.image;
}

describe('hostile SVG fails cleanly (score 0) within bounded time and memory', () => {
  const uses = (levels: number, fan: number) =>
    `<svg ${NS} viewBox="0 0 8 8"><defs><g id="g0"><rect width="1" height="1"/></g>` +
    Array.from({ length: levels }, (_, i) => `<g id="g${i + 1}">${`<use href="#g${i}"/>`.repeat(fan)}</g>`).join('') +
    `</defs><use href="#g${levels}"/></svg>`;
  const refused: Record<string, [string, RegExp]> = {
    'entity bomb': [
      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><svg ${NS}><text>&b;</text></svg>`,
      /DTD/,
    ],
    'external file': [`<svg ${NS} viewBox="0 0 8 8"><image href="/etc/passwd" width="8" height="8"/></svg>`, /external reference/],
    'external xlink': [
      `<svg ${NS} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 8 8"><image xlink:href='http://127.0.0.1:9/x.png' width="8" height="8"/></svg>`,
      /external reference/,
    ],
    'external url()': [`<svg ${NS} viewBox="0 0 8 8"><rect style="fill:url(file:///etc/x#a)" width="8" height="8"/></svg>`, /external url/],
    'css import': [`<svg ${NS} viewBox="0 0 8 8"><style>@import "file:///etc/passwd";</style></svg>`, /@import/],
    'deep nesting': [`<svg ${NS} viewBox="0 0 8 8">${'<g>'.repeat(200)}<rect width="8" height="8"/>${'</g>'.repeat(200)}</svg>`, /nested/],
    'many elements': [`<svg ${NS} viewBox="0 0 8 8">${'<rect/>'.repeat(3000)}</svg>`, /elements/],
    'use bomb': [uses(9, 10), /<use>/],
    'filter cost': [
      `<svg ${NS} viewBox="0 0 8 8"><filter id="f" filterUnits="userSpaceOnUse" x="-1e7" y="-1e7" width="2e7" height="2e7"><feMorphology radius="100000"/></filter><rect width="8" height="8" filter="url(#f)"/></svg>`,
      /filter/,
    ],
    // resvg renders a pattern tile at its own size: this one once aborted the process (6.4e17 bytes).
    'huge pattern tile': [
      `<svg ${NS} viewBox="0 0 8 8"><pattern id="p" width="100000" height="100000" patternUnits="userSpaceOnUse" patternTransform="scale(1000)"><rect width="1" height="1"/></pattern><rect width="8" height="8" fill="url(#p)"/></svg>`,
      /patterns/,
    ],
    'marker per vertex': [
      `<svg ${NS} viewBox="0 0 8 8"><marker id="m" markerWidth="1e7" markerHeight="1e7"><rect width="1e7" height="1e7"/></marker><path d="M0 0${' L1 1 L0 0'.repeat(2000)}" stroke="black" marker-mid="url(#m)"/></svg>`,
      /markers/,
    ],
    'absurd aspect': [`<svg ${NS} width="1" height="100000000"><rect width="1" height="1"/></svg>`, /aspect/],
    'too long': [`<svg ${NS}>${' '.repeat(70_000)}</svg>`, /longer than/],
    'not xml': ['<svg><<<>>>', /not a valid SVG/],
    unclosed: ['<svg viewBox="0 0 8 8"><rect width="8"', /not a valid SVG/],
    'no svg': ['<html><body/></html>', /no <svg>/],
  };
  for (const [name, [svg, reason]] of Object.entries(refused)) {
    it(name, () => {
      const t0 = performance.now();
      const r = renderSvg(svg, 8, 8);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
      expect(performance.now() - t0).toBeLessThan(500);
      const s = scoreSvg(svg, { target: '#......./......../......../......../......../......../......../.......#' });
      expect(s).toMatchObject({ valid: false, iou: 0 });
    });
  }

  it('huge declared sizes render at the target size, small use chains are allowed, and memory stays bounded', () => {
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) {
      const huge = renderOk(`<svg ${NS} width="100000000" height="100000000"><rect width="100000000" height="100000000"/></svg>`, 8, 8);
      expect(pixelIoU(huge, imageFromText(Array(8).fill('########').join('/')))).toBe(1);
      expect(renderSvg(uses(3, 5), 8, 8).ok).toBe(true); // 16 uses: 125 copies
      expect(renderSvg(`<svg ${NS} viewBox="0 0 8 8"><path d="M0 0${' L8 8 L0 8'.repeat(5000)}"/></svg>`, 8, 8).ok).toBe(true);
      // Huge masks, clip paths, transforms and nested <svg> sizes are clipped to the canvas.
      for (const big of [
        `<svg ${NS} viewBox="0 0 8 8"><mask id="m" x="-1e7" y="-1e7" width="2e7" height="2e7" maskUnits="userSpaceOnUse"><rect width="8" height="8" fill="white"/></mask><g transform="scale(1000)"><rect width="8" height="8" mask="url(#m)"/></g></svg>`,
        `<svg ${NS} viewBox="0 0 8 8"><clipPath id="c"><rect width="1e9" height="1e9"/></clipPath><g clip-path="url(#c)" opacity="0.5" transform="scale(1e6)"><rect width="8" height="8"/></g></svg>`,
        `<svg ${NS} viewBox="0 0 8 8"><svg width="1e9" height="1e9" viewBox="0 0 1 1"><rect width="1" height="1"/></svg></svg>`,
      ])
        expect(renderSvg(big, 8, 8).ok).toBe(true);
    }
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
    expect(screenSvg(`<svg ${NS}><rect/></svg>`)).toBeNull();
  });
});
