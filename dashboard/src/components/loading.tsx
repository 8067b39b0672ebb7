import { Center, Loader, VisuallyHidden } from '@mantine/core';

/** A spinner that says what is loading to assistive technology (a live status region). */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Center py="xl" role="status">
      <Loader aria-hidden />
      <VisuallyHidden>{label}</VisuallyHidden>
    </Center>
  );
}
