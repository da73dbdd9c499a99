/**
 * The generated serializer: plain concatenation of constant JSON pieces and values known to need no escaping. A doc is
 * known clean when it is the one parse() just returned (checked by identity) and its line had no backslash,
 * control character or lone surrogate, and no more `"` than the format's literals (so no value holds one);
 * otherwise one regex test over all string values decides, and JSON.stringify handles anything else.
 */
import type { Entry } from './codegen';

/** The body of `stringify(d)`; LAST_DOC, LAST_LINE and isClean are the generated parse()'s. */
export function serializerCode(entries: Map<string, Entry>): string {
  const q = (v: string) => JSON.stringify(v);
  const segs: Array<{ c: string } | { e: string }> = [{ c: '{"@timestamp":"' }, { e: 'd["@timestamp"]' }, { c: '"' }];
  const strs: string[] = [];
  let ser = '';
  [...entries].forEach(([name, e], j) => {
    const key = `,${q(name)}:`;
    ser += `const s${j} = d[${q(name)}];\n`;
    switch (e.kind) {
      case 'string':
        strs.push(`s${j}`);
        segs.push({ c: `${key}"` }, { e: `s${j}` }, { c: '"' });
        break;
      case 'nullable-string':
        strs.push(`(s${j} === null ? '' : s${j})`);
        segs.push({ c: key }, { e: `(s${j} === null ? 'null' : '"' + s${j} + '"')` });
        break;
      case 'optional-string':
        strs.push(`(s${j} === undefined ? '' : s${j})`);
        segs.push({ e: `(s${j} === undefined ? '' : ${q(`${key}"`)} + s${j} + '"')` });
        break;
      case 'scalar':
        segs.push({ c: key }, { e: `s${j}` });
        break;
    }
  });
  segs.push({ c: '}' });
  const merged: string[] = [];
  let pending = '';
  for (const sg of segs) {
    if ('c' in sg) pending += sg.c;
    else {
      if (pending) merged.push(q(pending));
      pending = '';
      merged.push(sg.e);
    }
  }
  if (pending) merged.push(q(pending));
  ser += `if (d !== LAST_DOC || !isClean(LAST_LINE)) {\n`;
  ser += `  if (typeof d["@timestamp"] !== 'string'${strs.length ? ` || NEEDS_ESCAPE.test(${strs.join(' + ')})` : ''}) return JSON.stringify(d);\n}\n`;
  ser += `return ${merged.join(' + ')};\n`;
  return ser;
}
