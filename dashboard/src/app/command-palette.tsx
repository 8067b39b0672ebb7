import '@mantine/spotlight/styles.css';
import { Spotlight, type SpotlightActionData, spotlight } from '@mantine/spotlight';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { featuresQuery, segmentsQuery } from '../api/queries';
import { paths, type Scope } from '../lib/scope';

/**
 * Ctrl/⌘-K: jump to any flag, segment or page, or look up an identity by its identifier
 * (identities are too many to list; the identity page says when one is not stored).
 */
export default function CommandPalette({ scope, openOnMount, onMounted }: { scope: Scope; openOnMount: boolean; onMounted: () => void }) {
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const features = useQuery(featuresQuery(scope.projectId));
  const segments = useQuery(segmentsQuery(scope.projectId));
  useEffect(() => {
    if (openOnMount) spotlight.open();
    onMounted();
    const open = () => spotlight.open();
    window.addEventListener('vexilla:palette', open);
    return () => window.removeEventListener('vexilla:palette', open);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const actions = useMemo((): SpotlightActionData[] => {
    const go = (to: string) => () => navigate(to);
    const list: SpotlightActionData[] = [
      ...(features.data ?? []).map((feature) => ({
        id: `flag:${feature.name}`,
        label: feature.name,
        description: `Flag${feature.description ? ` · ${feature.description}` : ''}`,
        keywords: ['flag', ...feature.tags],
        onClick: go(paths.feature(scope, feature.name)),
      })),
      ...(segments.data ?? []).map((segment) => ({
        id: `segment:${segment.id}`,
        label: segment.name,
        description: 'Segment',
        keywords: ['segment'],
        onClick: go(paths.segment(scope, segment.id)),
      })),
      ...[
        ['Flags', paths.flags],
        ['Segments', paths.segments],
        ['Identities', paths.identities],
        ['Tenants', paths.tenants],
        ['Change requests', paths.changeRequests],
        ['Scheduled changes', paths.scheduled],
        ['Audit log', paths.audit],
        ['Webhooks', paths.webhooks],
        ['Stale flags', paths.stale],
        ['Environment keys', paths.keys],
        ['Analytics', paths.analytics],
      ].map(([label, to]) => ({ id: `page:${label}`, label: label as string, description: 'Page', onClick: go((to as (s: Scope) => string)(scope)) })),
    ];
    const identifier = query.trim();
    if (identifier) {
      list.push({ id: 'identity', label: `Identity ${identifier}`, description: 'Look up this identifier', keywords: [identifier], onClick: go(paths.identity(scope, identifier)) });
    }
    return list;
  }, [features.data, segments.data, navigate, scope, query]);

  return (
    <Spotlight
      actions={actions}
      query={query}
      onQueryChange={setQuery}
      shortcut={['mod + K']}
      lockScroll={false}
      nothingFound="Nothing matches"
      limit={12}
      highlightQuery
      searchProps={{ placeholder: 'Jump to a flag, segment, page or identity…', 'aria-label': 'Jump to a flag, segment, page or identity' }}
    />
  );
}
