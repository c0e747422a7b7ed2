/**
 * The shipped search corpus (data/corpus/towns.jsonl): one short document per invented town, with
 * its region, river and trade. Every name is made up from syllables by a seeded generator, so no
 * model can know a fact without searching; `generateTownCorpus()` regenerates the shipped file
 * exactly (a test checks it), and data/SOURCES.md records its origin.
 */
import { Rng } from '../../core/rng.js';

export interface TownFact {
  id: string;
  town: string;
  region: string;
  river: string;
  trade: string;
  text: string;
}

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const TRADES = ['salt', 'wool', 'glass', 'iron', 'silk', 'wine', 'honey', 'rope', 'clay', 'tea', 'corn', 'fish'];

function name(rng: Rng, syllables: number): string {
  let s = '';
  for (let i = 0; i < syllables; i++) s += ONSETS[rng.int(0, ONSETS.length - 1)] + VOWELS[rng.int(0, VOWELS.length - 1)];
  return s[0].toUpperCase() + s.slice(1);
}

/** `towns` facts from `seed`; names are unique across towns, regions and rivers. */
export function generateTownCorpus(seed = 0, towns = 600): TownFact[] {
  const rng = new Rng(seed).fork('town-corpus');
  const used = new Set<string>();
  const fresh = (syl: number) => {
    for (;;) {
      const n = name(rng, syl);
      if (!used.has(n)) {
        used.add(n);
        return n;
      }
    }
  };
  const regions = Array.from({ length: 24 }, () => fresh(2));
  const rivers = Array.from({ length: 40 }, () => fresh(2));
  const out: TownFact[] = [];
  for (let i = 0; i < towns; i++) {
    const town = fresh(rng.int(2, 3));
    const region = regions[rng.int(0, regions.length - 1)];
    const river = rivers[rng.int(0, rivers.length - 1)];
    const trade = TRADES[rng.int(0, TRADES.length - 1)];
    out.push({ id: `town-${i}`, town, region, river, trade, text: `${town} is in ${region} on the ${river} and trades ${trade}.` });
  }
  return out;
}
