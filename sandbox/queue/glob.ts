// Redis glob-style patterns (util.c stringmatchlen), used by KEYS, SCAN MATCH and
// PSUBSCRIBE: * ? [abc] [^abc] [a-z] and \x escapes. Compiled to RegExp once and cached.

const cache = new Map<string, RegExp>();

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}

export function compileGlob(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') src += '[\\s\\S]*';
    else if (ch === '?') src += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < pattern.length) src += escapeRe(pattern[++i]!);
    else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      for (; j < pattern.length && pattern[j] !== ']'; j++) {
        const c = pattern[j]!;
        if (c === '\\' && j + 1 < pattern.length) cls += escapeRe(pattern[++j]!);
        else if (c === '-' && cls.length > 0 && pattern[j + 1] !== ']' && j + 1 < pattern.length) cls += '-';
        else cls += escapeRe(c);
      }
      // An unterminated class matches like Redis: treat the rest as the class.
      i = j;
      src += cls === '' ? '(?!)' : cls === '^' ? '[\\s\\S]' : '[' + cls + ']';
    } else src += escapeRe(ch);
  }
  src += '$';
  try {
    re = new RegExp(src);
  } catch {
    re = /(?!)/;
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

export function globMatch(pattern: string, s: string): boolean {
  if (pattern === '*') return true;
  return compileGlob(pattern).test(s);
}
