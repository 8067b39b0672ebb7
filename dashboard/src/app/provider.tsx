import { createTheme, MantineProvider, Modal } from '@mantine/core';
import { MutationCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { onSessionEnd } from '../lib/auth';

/** The one query cache: route loaders fill it ahead of the pages that read it. */
export const queryClient: QueryClient = new QueryClient({
  // The flags page's matrix holds a little of everything (features, states, override counts):
  // any change made anywhere marks it stale, so the page never shows what a change replaced. Not
  // while other changes are still on their way: a refetch then could undo their optimistic state
  // for a moment (the settling change still counts, hence `<= 1`).
  mutationCache: new MutationCache({
    onSettled: () => (queryClient.isMutating() <= 1 ? queryClient.invalidateQueries({ queryKey: ['flags-matrix'] }) : undefined),
  }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // 4xx answers will not change by asking again.
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
      refetchOnWindowFocus: true,
    },
  },
});

// Nothing one person saw stays for the next one to sign in in this tab, however the session ended
// (the Sign out button, an expiry, or the API refusing it with a 401).
onSessionEnd(() => queryClient.clear());

// Colours are in theme.css (static CSS); this keeps component props in step with it.
// Modals do not lock scrolling with a runtime <style> element (react-remove-scroll-bar): the CSP
// forbids it; theme.css stops the page behind an open dialog from scrolling instead. People who ask
// their system for reduced motion get dialogs, menus and notifications without animated transitions.
const theme = createTheme({ primaryColor: 'indigo', primaryShade: 8, respectReducedMotion: true, components: { Modal: Modal.extend({ defaultProps: { lockScroll: false, closeButtonProps: { 'aria-label': 'Close dialog' } } }) } });

/**
 * Mantine's runtime <style> tags (CSS variables, global classes) are off: the strict CSP allows
 * stylesheets from this origin only, and the default variables ship in its static CSS. Keep the
 * theme to options that need no runtime variables (colour choice and shade are classes).
 */
export function AppProvider({ children }: { children: ReactNode }) {
  return (
    <MantineProvider theme={theme} withCssVariables={false} withGlobalClasses={false} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        {children}
      </QueryClientProvider>
    </MantineProvider>
  );
}
