import type { z } from 'zod';

interface CheckedShape {
  numbers: { number: string }[];
  pools: { name: string; numbers: string[]; siteNumbers: string[] }[];
  snippet: { siteNumbers: string[] };
}

/**
 * A site number is the business's own number, the one the snippet replaces. If it were a pool
 * number, the snippet would swap one tracking number for another and a call on it could be
 * credited to the wrong visit, so that is refused. A static or fallback number that the site
 * shows by default may be listed: calls still reach calltrack when the snippet cannot run.
 */
export function checkSnippetNumbers(cfg: CheckedShape, ctx: z.core.$RefinementCtx<CheckedShape>): void {
  const poolNumbers = new Map<string, string>();
  for (const p of cfg.pools) {
    for (const n of p.numbers) poolNumbers.set(n, `a number of pool "${p.name}"`);
  }
  const check = (n: string, path: (string | number)[]) => {
    const owner = poolNumbers.get(n);
    if (owner) {
      ctx.addIssue({ code: 'custom', path, message: `${n} is ${owner}: list the number the website shows today, not a tracking number` });
    }
  };
  cfg.snippet.siteNumbers.forEach((n, i) => check(n, ['snippet', 'siteNumbers', i]));
  cfg.pools.forEach((p, i) => p.siteNumbers.forEach((n, j) => check(n, ['pools', i, 'siteNumbers', j])));
}
