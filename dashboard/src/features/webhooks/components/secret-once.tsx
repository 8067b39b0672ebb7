import { Alert, Code, CopyButton, Button, Group } from '@mantine/core';

/** A secret the API shows once: say so, and make it easy to copy now. */
export function SecretOnce({ label, secret }: { label: string; secret: string }) {
  return (
    <Alert color="yellow" variant="light" title={`${label}: copy it now, it is shown only once`} role="alert">
      <Group gap="xs" wrap="nowrap">
        <Code aria-label={label}>{secret}</Code>
        <CopyButton value={secret}>{({ copied, copy }) => <Button size="compact-xs" variant="light" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
      </Group>
    </Alert>
  );
}
