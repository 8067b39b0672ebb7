import { Alert, Code, List } from '@mantine/core';
import { ApiError } from '../api/client';

const TITLES: Record<number, string> = {
  400: 'The request was malformed',
  401: 'Not signed in',
  403: 'Your token lacks the role for this',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  422: 'Some fields are not valid',
};

/** Any error as the API said it: status, message and, for 422, every field it names. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  const heading = title ?? (apiError ? (TITLES[apiError.status] ?? `Error ${apiError.status}`) : 'Something went wrong');
  const fields = apiError?.status === 422 ? Object.entries(apiError.fieldErrors()) : [];
  return (
    <Alert color="red" title={heading} role="alert" variant="light">
      {error instanceof Error ? error.message : String(error)}
      {fields.length > 0 && (
        <List size="sm" mt="xs">
          {fields.map(([path, message]) => (
            <List.Item key={path}>
              <Code>{path || '(body)'}</Code>: {message}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
