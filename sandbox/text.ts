// Small pure text helpers shared by the CLI (flag suggestions) and the scenario parser
// (character and verb suggestions). No imports: safe to load in the extension host.

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest candidate: a prefix of it was typed, or it is a few edits away; undefined when nothing is close. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = input.length >= 2 && c.startsWith(input) ? 0.5 : editDistance(input, c);
    if (score < bestScore) [best, bestScore] = [c, score];
  }
  return bestScore <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

export const didYouMean = (s: string | undefined): string => (s ? ` (did you mean '${s}'?)` : '');
