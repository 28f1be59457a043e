// A real OpenID Connect identity provider for the single sign-on browser tests:
// node-oidc-provider (OpenID-certified) on 127.0.0.1 with its development sign-in and
// consent pages ("devInteractions": type any known login, any password).
//
//   node idp.js <port> <product base URL>
//
// Issuer http://127.0.0.1:<port>. Two confidential clients, one per SsoConfig the tests make
// (provider ids "acme" and "staff", so allauth's callback is
// <product>/accounts/oidc/sso-<id>/login/callback/). The accounts are fixed below; the login
// typed on the IdP's page is the account id. Test use only: never a production IdP.
import { Provider } from 'oidc-provider';

const port = Number(process.argv[2] || process.env.IDP_PORT || 0);
const product = (process.argv[3] || process.env.IDP_PRODUCT_URL || '').replace(/\/$/, '');
if (!port || !product) {
  console.error('usage: node idp.js <port> <product base URL>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  'alice@acme.example': { name: 'Alice Liddell' },
  'zhang@acme.example': { name: '张伟' },
  'eve@beta.example': { name: 'Eve Beta' },
  'mallory@acme.example': { name: 'Mallory' },
  'sam@provider.example': { name: 'Sam Staff' },
};

const client = (id) => ({
  client_id: `${id}-client`,
  client_secret: `${id}-secret-for-tests-only`,
  redirect_uris: [`${product}/accounts/oidc/sso-${id}/login/callback/`],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  // allauth's openid_connect sends the secret in the form when the IdP offers it
  token_endpoint_auth_method: 'client_secret_post',
});

const provider = new Provider(issuer, {
  clients: [client('acme'), client('staff')],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(ctx, sub) {
    const account = ACCOUNTS[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: sub, email_verified: true, name: account.name };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true }, // allauth sends S256 (OAUTH_PKCE_ENABLED)
  cookies: { keys: ['supportplan-test-idp-cookie-key'] },
  // a plain error page (e.g. an unknown login: findAccount answers nothing for it)
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>IdP error</title><h1>IdP error</h1><pre>${
      String(out.error).replace(/[<>&]/g, '')}: ${String(out.error_description || '').replace(/[<>&]/g, '')}</pre>`;
  },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`test IdP listening at ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
