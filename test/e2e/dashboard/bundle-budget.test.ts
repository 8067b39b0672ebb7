/**
 * The shell's initial JavaScript stays within the budget (≤ 200 KB gzipped), measured on
 * the build this project's global setup made; pages load on top of it when first visited.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSizes } from '../../../dashboard/scripts/bundle-size.js';
import { REPO_ROOT } from '../../support/dev-process.js';

const sizes = bundleSizes(join(REPO_ROOT, 'dist/dashboard'));

describe("the dashboard's build", () => {
  it('loads at most 200 KB of gzipped JavaScript for the shell', () => {
    expect(sizes.shellJs).toBeGreaterThan(50 * 1024); // React, the router and Mantine are in it: a real figure
    expect(sizes.shellJs).toBeLessThanOrEqual(200 * 1024);
  });

  it('splits every page into a chunk of its own, loaded when first visited', () => {
    const pages = Object.keys(sizes.pages).map((source) => source.replace(/^.*\//, ''));
    for (const page of ['flags.tsx', 'feature.tsx', 'segments.tsx', 'segment.tsx', 'identities.tsx', 'identity.tsx', 'tenants.tsx', 'tenant.tsx', 'change-requests.tsx', 'change-request.tsx', 'scheduled-changes.tsx', 'audit.tsx', 'webhooks.tsx', 'webhook.tsx', 'stale-flags.tsx', 'keys.tsx', 'analytics.tsx', 'members.tsx']) {
      expect(pages, page).toContain(page);
    }
  });
});
