import { html, type Html } from '../html.js';

/** The login form: an API token, posted once; the session remembers who it is, never the token. */
export function loginPage(problem: string | undefined): Html {
  return html`<div class="login">
    <h1>Sign in</h1>
    <p>
      Paste an API token (<code>fleetboot token create --name NAME --role viewer|operator|admin</code>). A
      viewer sees the fleet; an operator also assigns, marks and cancels.
    </p>
    ${problem && html`<p class="notice error" role="alert">${problem}</p>`}
    <form method="post" action="/ui/login">
      <label for="token">API token</label>
      <input type="password" id="token" name="token" autocomplete="off" required maxlength="100" autofocus />
      <button type="submit">Sign in</button>
    </form>
  </div>`;
}

/** A refusal or failure as a page: the message is ours or the lifecycle's, and escaped like everything else. */
export function problemPage(title: string, message: string): Html {
  return html`<h1>${title}</h1>
    <p class="notice error" role="alert">${message}</p>
    <p><a href="/ui/machines">Back to the fleet</a></p>`;
}
