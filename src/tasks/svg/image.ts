/**
 * Small grey-level images for render-feedback rewards: "ink" in [0, 1] per pixel (1 = black ink,
 * 0 = white paper or transparent), a text form a language model can read, and the two comparisons
 * the render rewards use:
 *
 * - pixel IoU of the binarised images, |A ∩ B| / |A ∪ B| with ink >= 0.5 (both empty: 1);
 * - SSIM (Wang, Bovik, Sheikh & Simoncelli 2004, eq. 13) over every w×w window (w = 7, or the image
 *   side when smaller), uniform weights, C1 = (0.01 L)^2, C2 = (0.03 L)^2 with L = 1, averaged.
 */

export interface InkImage {
  width: number;
  height: number;
  /** Row-major ink in [0, 1], width × height values. */
  ink: Float32Array;
}

export const INK = '#';
export const PAPER = '.';
/** The row separator of the text form ("#..#/.##./..."): a bitmap as one line of characters. */
export const ROW_SEP = '/';

export function blankImage(width: number, height: number): InkImage {
  return { width, height, ink: new Float32Array(width * height) };
}

/** "#" for ink >= 0.5, "." otherwise; rows joined by "/". */
export function imageToText(img: InkImage): string {
  const rows: string[] = [];
  for (let y = 0; y < img.height; y++) {
    let r = '';
    for (let x = 0; x < img.width; x++) r += img.ink[y * img.width + x] >= 0.5 ? INK : PAPER;
    rows.push(r);
  }
  return rows.join(ROW_SEP);
}

/** Parses the text form (rows of "#" and "." separated by "/" or newlines); throws a message on bad input. */
export function imageFromText(text: string, limits: { maxSide?: number } = {}): InkImage {
  const maxSide = limits.maxSide ?? 256;
  const rows = text
    .trim()
    .split(/[/\n]/)
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  if (rows.length === 0) throw new Error('the bitmap is empty: give rows of "#" (ink) and "." (paper) separated by "/"');
  const width = rows[0].length;
  if (rows.length > maxSide || width > maxSide) throw new Error(`the bitmap is larger than ${maxSide}×${maxSide}`);
  const img = blankImage(width, rows.length);
  rows.forEach((r, y) => {
    if (r.length !== width) throw new Error(`bitmap row ${y + 1} has ${r.length} characters, the first has ${width}`);
    for (let x = 0; x < width; x++) {
      const c = r[x];
      if (c !== INK && c !== PAPER) throw new Error(`bitmap row ${y + 1} has "${c}"; only "#" (ink) and "." (paper) are allowed`);
      img.ink[y * width + x] = c === INK ? 1 : 0;
    }
  });
  return img;
}

/** Pixel IoU of the binarised images (ink >= 0.5); 1 when both are empty. Sizes must match. */
export function pixelIoU(a: InkImage, b: InkImage): number {
  sameSize(a, b);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.ink.length; i++) {
    const p = a.ink[i] >= 0.5;
    const q = b.ink[i] >= 0.5;
    if (p && q) inter++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Mean SSIM over all w×w windows (w = min(7, width, height)), uniform window, L = 1. */
export function ssim(a: InkImage, b: InkImage): number {
  sameSize(a, b);
  const { width, height } = a;
  const w = Math.min(7, width, height);
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  let total = 0;
  let windows = 0;
  for (let y0 = 0; y0 + w <= height; y0++) {
    for (let x0 = 0; x0 + w <= width; x0++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let y = y0; y < y0 + w; y++) {
        for (let x = x0; x < x0 + w; x++) {
          const p = a.ink[y * width + x];
          const q = b.ink[y * width + x];
          sa += p;
          sb += q;
          saa += p * p;
          sbb += q * q;
          sab += p * q;
        }
      }
      const n = w * w;
      const ma = sa / n;
      const mb = sb / n;
      // Sample (co)variances with n - 1, as in the reference implementation's unbiased estimate.
      const denom = Math.max(1, n - 1);
      const va = (saa - n * ma * ma) / denom;
      const vb = (sbb - n * mb * mb) / denom;
      const cov = (sab - n * ma * mb) / denom;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      windows++;
    }
  }
  return windows === 0 ? 0 : total / windows;
}

function sameSize(a: InkImage, b: InkImage): void {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`images differ in size: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
}

/**
 * Box-downsamples an RGBA buffer rendered at `scale`× to ink at the base size: ink = alpha × (1 −
 * luminance) averaged over each scale×scale block (the picture composited on white paper).
 */
export function inkFromRgba(rgba: Uint8Array, width: number, height: number, scale: number): InkImage {
  const W = Math.floor(width / scale);
  const H = Math.floor(height / scale);
  const img = blankImage(W, H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = ((y * scale + dy) * width + (x * scale + dx)) * 4;
          const alpha = rgba[o + 3] / 255;
          if (alpha === 0) continue;
          // resvg's pixels are premultiplied: un-premultiply before the luminance (Rec. 709 weights).
          const lum = (0.2126 * rgba[o] + 0.7152 * rgba[o + 1] + 0.0722 * rgba[o + 2]) / 255 / alpha;
          s += alpha * (1 - Math.min(1, lum));
        }
      }
      img.ink[y * W + x] = s / (scale * scale);
    }
  }
  return img;
}

/** Nearest-neighbour resampling to another size (a rendering whose aspect differs from the target's). */
export function resampleNearest(img: InkImage, width: number, height: number): InkImage {
  const out = blankImage(width, height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
      out.ink[y * width + x] = img.ink[sy * img.width + sx];
    }
  }
  return out;
}
