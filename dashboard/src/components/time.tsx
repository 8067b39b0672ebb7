import { Text, Tooltip } from '@mantine/core';

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function fromNow(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  for (const [unit, size] of units) if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.round(seconds / size), unit);
  return iso;
}

/** An instant as "3 minutes ago", with the exact time on hover and for assistive technology. */
export function Time({ iso }: { iso: string }) {
  const exact = new Date(iso).toLocaleString();
  return (
    <Tooltip label={exact}>
      <Text span size="sm" component="time" dateTime={iso}>
        {fromNow(iso)}
      </Text>
    </Tooltip>
  );
}
