/** Top-level splitting of normalised answers (shared by equivalence.ts and region.ts). */

/** Splits at top-level occurrences of `sep` (outside (), [], {} and \left...\right pairs). */
export function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s.startsWith('\\{', i)) {
      depth++;
      i++;
      continue;
    }
    if (c === '\\' && s.startsWith('\\}', i)) {
      depth--;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      parts.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}
