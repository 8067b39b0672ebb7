import { Page } from '../../../components/page';

export default function Route() {
  return <Page title="identities">TODO</Page>;
}
