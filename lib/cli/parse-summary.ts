/**
 * `logtong parse --summary`: instead of the documents, what a format made of the input: every field with its type
 * and how many documents have it, and the failure reasons grouped (a reason's quoted values and numbers set aside,
 * so `"12/Foo/2024" does not match …` lines count as one reason), each with its count and first line.
 */
import type { FieldType } from '../../lambda/core/config/log-format';

interface Reason {
  count: number;
  firstLine: number;
  example: string;
}

/** The shape of a reason: quoted values and numbers replaced, so that reasons differing only in them group. */
export function reasonShape(reason: string): string {
  return reason.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/\b\d+(?:\.\d+)?\b/g, 'N');
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export class ParseSummary {
  private readonly fields = new Map<string, { count: number; seen: Set<string> }>();
  private readonly reasons = new Map<string, Reason>();
  private docs = 0;

  constructor(private readonly declared: Readonly<Record<string, FieldType>>) {}

  add(doc: Record<string, unknown>): void {
    this.docs++;
    this.walk(doc, '');
  }

  fail(line: number, reason: string): void {
    const shape = reasonShape(reason);
    const r = this.reasons.get(shape);
    if (r) r.count++;
    else this.reasons.set(shape, { count: 1, firstLine: line, example: reason });
  }

  /** Nested objects as dotted paths, as the index template and the Parquet columns name them. */
  private walk(doc: Record<string, unknown>, prefix: string): void {
    for (const [k, v] of Object.entries(doc)) {
      const name = prefix + k;
      if (v === undefined) continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !this.declared[name]) {
        this.walk(v as Record<string, unknown>, `${name}.`);
        continue;
      }
      let f = this.fields.get(name);
      if (!f) this.fields.set(name, (f = { count: 0, seen: new Set() }));
      f.count++;
      f.seen.add(typeOf(v));
    }
  }

  /** The report: fields (declared type, else the JSON types seen), then reasons by count. */
  render(totals: { parsed: number; failed: number; filtered: number }): string {
    const rows: string[][] = [['field', 'type', 'documents', '%']];
    for (const [name, f] of [...this.fields].sort(([a], [b]) => a.localeCompare(b))) {
      rows.push([name, this.declared[name] ?? [...f.seen].sort().join('|'), String(f.count), this.docs ? ((100 * f.count) / this.docs).toFixed(1) : '0']);
    }
    const out = [`records=${totals.parsed + totals.failed + totals.filtered} parsed=${totals.parsed} failed=${totals.failed} filtered=${totals.filtered}`, '', table(rows)];
    if (this.reasons.size > 0) {
      const byCount = [...this.reasons.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
      out.push('', table([['failed', 'first line', 'reason'], ...byCount.map((r) => [String(r.count), String(r.firstLine), r.example.slice(0, 200)])]));
    }
    return `${out.join('\n')}\n`;
  }
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
