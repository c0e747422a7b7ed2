/**
 * GPT-2's byte-level alphabet (Radford et al. 2019, `bytes_to_unicode` in openai/gpt-2 encoder.py):
 * every byte maps to one printable Unicode character, so any UTF-8 text becomes a string of
 * "visible bytes" that a BPE vocabulary can hold. Printable Latin-1 bytes ("!".."~", "¡".."¬",
 * "®".."ÿ") map to themselves; the other 68 bytes map to U+0100.. in byte order, which is why a
 * space reads "Ġ" (U+0120) and a newline "Ċ" (U+010A) in GPT-2 style vocabularies.
 *
 * Used by the GGUF export (llama.cpp's "gpt2" tokenizer model expects token texts in this
 * alphabet) and by the Hugging Face tokenizer.json loader (ByteLevel pre-tokenizer and decoder).
 */

const BYTE_TO_CHAR: string[] = (() => {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep(b) ? b : 256 + extra++);
  return out;
})();

const CHAR_TO_BYTE = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The byte-level string of `text`'s UTF-8 bytes. */
export function byteLevelEncode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) out += BYTE_TO_CHAR[b];
  return out;
}

/** The byte-level characters of `text`, one per UTF-8 byte. */
export function byteLevelChars(text: string): string[] {
  return [...Buffer.from(text, 'utf8')].map((b) => BYTE_TO_CHAR[b]);
}

/** Bytes of a byte-level string, or null when it holds a character outside the alphabet. */
export function byteLevelBytes(s: string): number[] | null {
  const out: number[] = [];
  for (const c of s) {
    const b = CHAR_TO_BYTE.get(c);
    if (b === undefined) return null;
    out.push(b);
  }
  return out;
}

/** Text of a byte-level string (invalid UTF-8 becomes U+FFFD, as every BPE decoder does). */
export function byteLevelDecode(s: string): string {
  const bytes = byteLevelBytes(s);
  if (bytes === null) return s;
  return Buffer.from(bytes).toString('utf8');
}
