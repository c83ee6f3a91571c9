// clip(): the only way client text goes into an error message or a log line. A short printable prefix,
// the cut marked with the full length, so a multi-megabyte value is never echoed or logged whole.

/** Control characters, DEL/C1 and the JS line separators: shown as '?' so a quoted value stays on one line. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** At most `max` characters of `text` (printable), plus `…(N chars)` when it was longer. */
export function clip(text: string, max = 64): string {
  const cut = text.length > max;
  let head = cut ? text.slice(0, max) : text;
  // a cut between the two halves of a surrogate pair would leave half a character
  if (cut && /[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  head = head.replace(UNPRINTABLE, '?');
  return cut ? `${head}…(${text.length} chars)` : head;
}
