// The UTF-8 length of a string without Node's Buffer, so the modules that use it (the XML
// parser, JIDs) also run in the browser (the inspector's webview checks stanzas with them).

/** Bytes `s` takes in UTF-8 (RFC 3629). A lone surrogate, which UTF-8 cannot encode, counts 2. */
export function utf8ByteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 1 byte below U+0080; 2 below U+0800; 3 for the rest of the BMP; a surrogate pair is 4 (2 + 2).
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}
