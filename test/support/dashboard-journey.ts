/**
 * What every dashboard journey (test/e2e/dashboard/) does to a page: axe-core's serious and
 * critical violations, and a watch for Content-Security-Policy violations the page reports itself
 * (so a blocked inline style or script cannot go unnoticed).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from './dev-process.js';

export interface AxeViolation {
  id: string;
  help: string;
  nodes: string[];
}

let axeSource: Promise<string> | undefined;

/** axe-core on the page as it is now: its serious and critical violations, with where and why. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Once per document (a client-side navigation keeps it): half a megabyte of script to compile.
  if (!(await page.evaluate(() => typeof (window as unknown as { axe?: { run?: unknown } }).axe?.run === 'function'))) {
    axeSource ??= readFile(join(REPO_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
    await page.evaluate(await axeSource); // through the DevTools protocol: the page's CSP does not apply to it
  }
  return (await page.evaluate(async () => {
    type Check = string | { id: string };
    type Rule = { id: string; impact?: string; any: Check[]; all: Check[]; none: Check[] };
    const axe = (window as unknown as {
      axe: {
        run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        _audit?: { rules?: Rule[]; data?: { checks?: Record<string, { impact?: string } | undefined> } };
      };
    }).axe;
    const reported = (impact: string | undefined) => impact === 'serious' || impact === 'critical';
    // A violation's impact is its rule's, or the highest of its failing checks' (axe's
    // aggregateChecks, _finalizeRuleResult): a rule with no serious or critical source can only
    // report what the filter below drops. Not running those (region, heading order, the landmark
    // rules: 29 of axe 4.14's 105) drops no finding and a sixth of axe's time (measured over the
    // journeys' 51 audits). A check of unknown impact keeps its rule; without these internals of
    // axe, every rule runs.
    const checks = axe._audit?.data?.checks;
    const unreportable = checks
      ? (axe._audit?.rules ?? []).filter((rule) => !reported(rule.impact) && ![...rule.any, ...rule.all, ...rule.none].some((check) => {
          const impact = checks[typeof check === 'string' ? check : check.id]?.impact;
          return impact === undefined || reported(impact);
        }))
      : [];
    const result = await axe.run(document, {
      resultTypes: ['violations'],
      rules: Object.fromEntries(unreportable.map((rule) => [rule.id, { enabled: false }])),
    });
    return result.violations
      .filter((violation) => reported(violation.impact))
      .map((violation) => ({ id: violation.id, help: violation.help, nodes: violation.nodes.map((node) => `${node.target.join(' ')}: ${(node as unknown as { any: { message: string }[] }).any[0]?.message ?? ''}`) }));
  })) as AxeViolation[];
}

/** Makes every page of the context report CSP violations on its console. */
export async function reportCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`)),
  );
}

/** Collects the page's CSP violations (see reportCspViolations) and uncaught errors into the lists given. */
export function watchPage(page: Page, sinks: { cspViolations: string[]; pageErrors?: string[] }): void {
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().startsWith('CSP violation')) sinks.cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  if (sinks.pageErrors) {
    const errors = sinks.pageErrors;
    page.on('pageerror', (error) => errors.push(error.message));
  }
}
