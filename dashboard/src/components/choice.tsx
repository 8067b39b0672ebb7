import { SegmentedControl, type SegmentedControlProps } from '@mantine/core';

/**
 * A segmented control as a named radio group: Mantine's root element has no role, so the name
 * goes on a radiogroup around it (an aria-label on a plain div is not allowed).
 */
export function Choice({ label, labelledBy, ...props }: SegmentedControlProps & { label?: string; labelledBy?: string }) {
  return (
    <div role="radiogroup" aria-label={label} aria-labelledby={labelledBy}>
      <SegmentedControl {...props} />
    </div>
  );
}
