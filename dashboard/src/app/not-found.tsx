import { Anchor, Container, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFound() {
  return (
    <Container size="sm" py="xl" component="main">
      <Stack>
        <Title order={1}>Page not found</Title>
        <Text>Nothing lives at this address.</Text>
        <Anchor component={Link} to="/">
          Go to your flags
        </Anchor>
      </Stack>
    </Container>
  );
}
