/**
 * The host-side layout every algorithm in this folder works on: a row-major [rows, cols] block of
 * float32 numbers, one row per sampled response and one column per response token, plus a 0/1
 * mask of the same shape that marks real response tokens (padding and prompt tokens are 0).
 * This is verl's `[batch, response_length]` layout with `response_mask`.
 */

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** A new [rows, cols] matrix, zero-filled or wrapping `data` (which must have rows*cols entries). */
export function matrix(rows: number, cols: number, data?: Float32Array | readonly number[]): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix shape must be non-negative integers, got [${rows}, ${cols}]`);
  }
  const arr = data === undefined ? new Float32Array(rows * cols) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (arr.length !== rows * cols) throw new RangeError(`matrix [${rows}, ${cols}] needs ${rows * cols} values, got ${arr.length}`);
  return { rows, cols, data: arr };
}

/** Builds a matrix from ragged rows, padding with `pad`; the mask marks the given entries. */
export function fromRows(rowsIn: readonly (readonly number[])[], cols?: number, pad = 0): { values: Matrix; mask: Matrix } {
  const width = cols ?? rowsIn.reduce((m, r) => Math.max(m, r.length), 0);
  const values = matrix(rowsIn.length, width);
  const mask = matrix(rowsIn.length, width);
  values.data.fill(pad);
  rowsIn.forEach((row, i) => {
    if (row.length > width) throw new RangeError(`row ${i} has ${row.length} entries, more than ${width} columns`);
    for (let t = 0; t < row.length; t++) {
      values.data[i * width + t] = row[t];
      mask.data[i * width + t] = 1;
    }
  });
  return { values, mask };
}

/** Checks that every matrix has the shape of the first; names the mismatch otherwise. */
export function assertSameShape(named: Record<string, Matrix | undefined>): void {
  let ref: [string, Matrix] | undefined;
  for (const [name, m] of Object.entries(named)) {
    if (!m) continue;
    if (!ref) ref = [name, m];
    else if (m.rows !== ref[1].rows || m.cols !== ref[1].cols) {
      throw new RangeError(`${name} is [${m.rows}, ${m.cols}] but ${ref[0]} is [${ref[1].rows}, ${ref[1].cols}]`);
    }
  }
}

/** Sum of `values` over masked entries of row `i`. */
export function rowMaskedSum(values: Matrix, mask: Matrix, i: number): number {
  let s = 0;
  const o = i * values.cols;
  for (let t = 0; t < values.cols; t++) s += values.data[o + t] * mask.data[o + t];
  return s;
}

/** Number of masked tokens in row `i`. */
export function rowLength(mask: Matrix, i: number): number {
  let s = 0;
  const o = i * mask.cols;
  for (let t = 0; t < mask.cols; t++) s += mask.data[o + t];
  return s;
}

/** Mean of `values` over all masked entries (0 when the mask is empty). */
export function maskedMean(values: Matrix, mask: Matrix): number {
  let s = 0;
  let n = 0;
  for (let k = 0; k < values.data.length; k++) {
    s += values.data[k] * mask.data[k];
    n += mask.data[k];
  }
  return n > 0 ? s / n : 0;
}

/**
 * Whitening over every masked entry of the batch: (x - mean) / sqrt(var + 1e-8), with the unbiased
 * variance (verl's `masked_whiten`). Masked-out entries become 0. Used by REINFORCE++'s global
 * batch normalisation and by GAE.
 */
export function maskedWhiten(values: Matrix, mask: Matrix): Matrix {
  let n = 0;
  let s = 0;
  for (let k = 0; k < values.data.length; k++) {
    n += mask.data[k];
    s += values.data[k] * mask.data[k];
  }
  const out = matrix(values.rows, values.cols);
  if (n === 0) return out;
  const mean = s / n;
  let ss = 0;
  for (let k = 0; k < values.data.length; k++) ss += mask.data[k] * (values.data[k] - mean) ** 2;
  const variance = n > 1 ? ss / (n - 1) : 0;
  const inv = 1 / Math.sqrt(variance + 1e-8);
  for (let k = 0; k < values.data.length; k++) out.data[k] = mask.data[k] ? (values.data[k] - mean) * inv : 0;
  return out;
}

/** Broadcasts one number per row onto that row's masked tokens. */
export function broadcastRows(perRow: ArrayLike<number>, mask: Matrix): Matrix {
  const out = matrix(mask.rows, mask.cols);
  for (let i = 0; i < mask.rows; i++) {
    const o = i * mask.cols;
    for (let t = 0; t < mask.cols; t++) out.data[o + t] = mask.data[o + t] ? perRow[i] * mask.data[o + t] : 0;
  }
  return out;
}

/** Row indices grouped by group id, in first-seen order of the ids. */
export function groupRows(groups: ArrayLike<number | string>): number[][] {
  const byId = new Map<number | string, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    let list = byId.get(g);
    if (!list) byId.set(g, (list = []));
    list.push(i);
  }
  return [...byId.values()];
}
