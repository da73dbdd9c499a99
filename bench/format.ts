/** Figures as the benchmark tables print them: thousands separated, a fixed number of decimals. */
export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
