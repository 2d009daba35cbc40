// The page anyone without a session sees, whatever they asked for: a form for an API token and
// nothing else. The token is posted in the body, never in the URL; so is the page to return to
// once signed in (checked again when it comes back, see return-path.ts).
import { Layout } from './layout.js';
import { FLEET_PATH } from './return-path.js';

export function SignInView(props: { error?: string; returnTo?: string }) {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      <p>
        Sign in with an API token that has the scope deploy:read (<code>deployer token create</code>). It is kept in a cookie no script can read, until the browser
        closes or you sign out.
      </p>
      {props.error && (
        <p class="error" role="alert" id="token-error">
          {props.error}
        </p>
      )}
      <form method="post" action="/session" class="sign-in">
        {props.returnTo && props.returnTo !== FLEET_PATH && <input type="hidden" name="return_to" value={props.returnTo} />}
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required aria-describedby={props.error ? 'token-error' : undefined} />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
