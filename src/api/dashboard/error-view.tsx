// A refused or failed dashboard request, in words: what went wrong and where to go next. Never a
// stack trace; the server log has those.
import type { Principal } from '../../auth/find-token.js';
import { Layout } from './layout.js';

export function ErrorView(props: { title: string; message: string; principal?: Principal }) {
  return (
    <Layout title={props.title} principal={props.principal}>
      <h1>{props.title}</h1>
      <p class="error" role="alert">
        {props.message}
      </p>
      <p>
        <a href="/">Back to the fleet</a>
      </p>
    </Layout>
  );
}
