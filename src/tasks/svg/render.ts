/**
 * Renders untrusted SVG in process with resvg (@resvg/resvg-js, Rust's resvg through napi) into an
 * ink image the size of a target, within fixed bounds of time and memory. Policy output is hostile
 * input, so before resvg sees it the text is checked, and anything outside the limits is a
 * `RenderFailure` (the render rewards score it 0):
 *
 * - size: at most `maxBytes` characters (64 KiB) and `maxElements` start tags (2000);
 * - no DTD or entities (`<!DOCTYPE`, `<!ENTITY`: billion-laughs bombs), no processing instructions
 *   other than the XML declaration, no `@import`;
 * - no external references: every `href`/`xlink:href` and `url(...)` must be a fragment (`#id`);
 *   resvg would otherwise read files from disk (there is no network in resvg);
 * - no filter effects (their cost grows with their parameters: an feMorphology radius of 1e5 takes
 *   most of a second even on a 32×32 canvas) and no patterns (a tile is rendered at its own size:
 *   a huge tile made resvg abort the process on a failed allocation of 6.4e17 bytes) or markers
 *   (drawn once per vertex: 4000 vertices with a huge marker took 0.7 s);
 * - nesting at most `maxDepth` (64) elements deep; at most `maxUses` (16) `<use>` elements, so a
 *   chain of uses (each cloning the previous group several times) cannot grow exponentially;
 * - the picture's own size must be finite and positive with an aspect within 1:`maxAspect` of the
 *   target's, and it is always drawn at the target's size × `scale` (fitTo width), so a declared
 *   width of 1e9 costs nothing; system fonts are not loaded (text draws nothing).
 */
import { Resvg } from '@resvg/resvg-js';
import { type InkImage, inkFromRgba, resampleNearest } from './image.js';

export interface RenderLimits {
  maxBytes?: number;
  maxElements?: number;
  maxDepth?: number;
  maxUses?: number;
  maxAspect?: number;
  /** Supersampling factor: the SVG is drawn at scale × the target size and box-averaged (default 4). */
  scale?: number;
}

const DEFAULTS: Required<RenderLimits> = { maxBytes: 65_536, maxElements: 2000, maxDepth: 64, maxUses: 16, maxAspect: 4, scale: 4 };

export class RenderFailure extends Error {}

export type RenderOutcome = { ok: true; image: InkImage; ms: number } | { ok: false; reason: string; ms: number };

/** Checks the SVG text against the limits; returns the reason it is refused, or null. */
export function screenSvg(svg: string, limits: RenderLimits = {}): string | null {
  const L = { ...DEFAULTS, ...limits };
  if (svg.length > L.maxBytes) return `SVG longer than ${L.maxBytes} characters`;
  if (!/<svg[\s>]/i.test(svg)) return 'no <svg> element';
  if (/<!DOCTYPE|<!ENTITY/i.test(svg)) return 'DTDs and entities are not allowed';
  if (/<\?(?!xml\s)/i.test(svg)) return 'processing instructions are not allowed';
  if (/@import/i.test(svg)) return '@import is not allowed';
  // Filter effects cost time with their parameters, not their size (feMorphology radius 1e5 takes
  // most of a second on 32×32 pixels): refused, as a picture made of shapes does not need them.
  if (/<(filter|fe[A-Z])/i.test(svg)) return 'filter effects are not allowed';
  // A pattern's tile is rendered into its own pixmap sized by the tile, not the canvas: a tile of
  // 1e5 units scaled by 1e3 asks for 6.4e17 bytes and resvg aborts the whole process.
  if (/<pattern[\s>/]/i.test(svg)) return 'patterns are not allowed';
  // Markers are drawn once per vertex: 8000 vertices with a huge marker took 0.7 s.
  if (/<marker[\s>/]/i.test(svg)) return 'markers are not allowed';
  for (const m of svg.matchAll(/(?:xlink:)?href\s*=\s*(["'])(.*?)\1/gis)) {
    if (!m[2].trim().startsWith('#')) return `external reference "${m[2].slice(0, 60)}" (only #fragment links are allowed)`;
  }
  if (/href\s*=\s*[^"'\s]/i.test(svg)) return 'unquoted href';
  for (const m of svg.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/gis)) {
    if (!m[2].trim().startsWith('#')) return `external url(${m[2].slice(0, 60)}) (only url(#id) is allowed)`;
  }
  // Element nesting and counts from the tags (comments and CDATA removed first).
  const body = svg.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  let depth = 0;
  let maxDepth = 0;
  let elements = 0;
  let uses = 0;
  for (const m of body.matchAll(/<(\/?)([A-Za-z_][\w:.-]*)[^>]*?(\/?)>/g)) {
    if (m[1]) {
      depth--;
      continue;
    }
    elements++;
    if (m[2].toLowerCase() === 'use') uses++;
    if (!m[3]) {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
    }
  }
  if (elements > L.maxElements) return `more than ${L.maxElements} elements`;
  if (maxDepth > L.maxDepth) return `elements nested more than ${L.maxDepth} deep`;
  if (uses > L.maxUses) return `more than ${L.maxUses} <use> elements`;
  return null;
}

/**
 * Draws `svg` at `width`×`height` (the target's size) and returns its ink, or the reason it could
 * not be drawn (refused by the screen, not well-formed, no size, an absurd aspect ratio).
 */
export function renderSvg(svg: string, width: number, height: number, limits: RenderLimits = {}): RenderOutcome {
  const t0 = performance.now();
  const L = { ...DEFAULTS, ...limits };
  const fail = (reason: string): RenderOutcome => ({ ok: false, reason, ms: performance.now() - t0 });
  if (!(width >= 1 && height >= 1 && width <= 1024 && height <= 1024)) return fail(`target size ${width}×${height} is out of range`);
  const refused = screenSvg(svg, L);
  if (refused) return fail(refused);
  let r: Resvg;
  try {
    r = new Resvg(withNamespace(svg), {
      fitTo: { mode: 'width', value: width * L.scale },
      font: { loadSystemFonts: false },
      logLevel: 'off',
      shapeRendering: 2,
    });
  } catch (e) {
    return fail(`not a valid SVG: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
  const w = r.width;
  const h = r.height;
  if (!(Number.isFinite(w) && Number.isFinite(h) && w > 0 && h > 0)) return fail('the SVG has no size');
  const aspect = h / w / (height / width);
  if (aspect > L.maxAspect || aspect < 1 / L.maxAspect) return fail(`aspect ratio ${(w / h).toPrecision(3)} is far from the target's`);
  let rgba: Uint8Array;
  let rw: number;
  let rh: number;
  try {
    const img = r.render();
    rgba = img.pixels;
    rw = img.width;
    rh = img.height;
  } catch (e) {
    return fail(`rendering failed: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
  let ink = inkFromRgba(rgba, rw, rh, L.scale);
  if (ink.width !== width || ink.height !== height) ink = resampleNearest(ink, width, height);
  return { ok: true, image: ink, ms: performance.now() - t0 };
}

/**
 * resvg needs the SVG namespace on the root; a bare `<svg ...>` (what HTML accepts and what models
 * often write) gets `xmlns="http://www.w3.org/2000/svg"` added. Nothing else is rewritten.
 */
export function withNamespace(svg: string): string {
  return svg.replace(/<svg\b([^>]*)>/i, (whole, attrs: string) =>
    /\sxmlns\s*=/.test(attrs) ? whole : `<svg xmlns="http://www.w3.org/2000/svg"${attrs}>`,
  );
}

/**
 * Decodes a raster target (a `data:image/png;base64,...` or JPEG data URL) into ink at its own
 * size, through resvg's image decoder: the picture is wrapped in an SVG `<image>` of its size.
 */
export function imageFromDataUrl(dataUrl: string, limits: { maxSide?: number; maxBytes?: number } = {}): InkImage {
  const maxSide = limits.maxSide ?? 256;
  const maxBytes = limits.maxBytes ?? 4 * 1024 * 1024;
  const m = /^data:image\/(png|jpeg|jpg|webp|gif);base64,([A-Za-z0-9+/=\s]+)$/.exec(dataUrl.trim());
  if (!m) throw new RenderFailure('a raster target must be a data URL: data:image/png;base64,...');
  if (m[2].length > maxBytes) throw new RenderFailure(`the target image is larger than ${maxBytes} bytes of base64`);
  const size = rasterSize(Buffer.from(m[2].slice(0, 4096), 'base64'));
  if (!size) throw new RenderFailure('cannot read the target image size (PNG or JPEG expected)');
  if (size.width > maxSide || size.height > maxSide || size.width < 1 || size.height < 1)
    throw new RenderFailure(`the target image is ${size.width}×${size.height}; at most ${maxSide}×${maxSide}`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${size.width}" height="${size.height}"><image width="${size.width}" height="${size.height}" xlink:href="data:image/${m[1]};base64,${m[2].replace(/\s+/g, '')}"/></svg>`;
  const r = new Resvg(svg, { fitTo: { mode: 'width', value: size.width }, font: { loadSystemFonts: false }, logLevel: 'off' });
  const img = r.render();
  return inkFromRgba(img.pixels, img.width, img.height, 1);
}

/** Width and height from a PNG IHDR or a JPEG SOF header; null when neither. */
function rasterSize(b: Buffer): { width: number; height: number } | null {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1];
      const len = b.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      i += 2 + len;
    }
  }
  return null;
}
