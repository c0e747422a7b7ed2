/**
 * Sequence similarity of SWE-RL's reward (Wei et al. 2025, "SWE-RL: Advancing LLM Reasoning via
 * Reinforcement Learning on Open Software Evolution", eq. 1): Python difflib's
 * SequenceMatcher.ratio, 2*M / (|a| + |b|), where M counts the characters of the matching blocks
 * found by Ratcliff/Obershelp: the longest common substring, then the same on each side of it,
 * recursively (no junk heuristic: the inputs here are short).
 */
function longestMatch(a: string, b: string, alo: number, ahi: number, blo: number, bhi: number): [number, number, number] {
  let best: [number, number, number] = [alo, blo, 0];
  let prev = new Map<number, number>();
  for (let i = alo; i < ahi; i++) {
    const cur = new Map<number, number>();
    for (let j = blo; j < bhi; j++) {
      if (a[i] !== b[j]) continue;
      const k = (prev.get(j - 1) ?? 0) + 1;
      cur.set(j, k);
      if (k > best[2]) best = [i - k + 1, j - k + 1, k];
    }
    prev = cur;
  }
  return best;
}

function matched(a: string, b: string, alo: number, ahi: number, blo: number, bhi: number): number {
  if (alo >= ahi || blo >= bhi) return 0;
  const [i, j, k] = longestMatch(a, b, alo, ahi, blo, bhi);
  if (k === 0) return 0;
  return k + matched(a, b, alo, i, blo, j) + matched(a, b, i + k, ahi, j + k, bhi);
}

/** difflib.SequenceMatcher(None, a, b).ratio() for short strings (1 when both are empty). */
export function sequenceRatio(a: string, b: string): number {
  const t = a.length + b.length;
  return t === 0 ? 1 : (2 * matched(a, b, 0, a.length, 0, b.length)) / t;
}
